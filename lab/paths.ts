import { fileURLToPath } from 'node:url';
import path from 'node:path';

// Compiled files live in dist/<folder>/, so the package root is two levels up from here.
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const distDir = path.join(packageRoot, 'dist');
export const nginxTemplateDir = path.join(packageRoot, 'nginx');
export const cliPath = path.join(distDir, 'cli', 'benchlab.js');
