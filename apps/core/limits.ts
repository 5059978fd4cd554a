// The scenario contract's limits, shared by every adapter so all variants refuse alike.
export const MAX_FORM_BYTES = 16_384; // 16 KiB: 1000 four-byte characters percent-encoded is 12 KiB
export const MAX_BODY_CHARS = 1000;
export const PAGE_ENTRIES = 20;
export const CSRF_COOKIE = 'csrftoken';
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
