// The app's escaping (DESIGN §3) is the contract itself: the client looks for its own post in that form.
export { escapeHtml } from '../apps/core/escape.js';
