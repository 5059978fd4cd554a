import fs from 'node:fs';
import path from 'node:path';

// Server binaries live in sbin folders, which a non-root PATH often lacks.
const SBIN_FOLDERS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin', '/usr/local/mysql/bin', '/usr/bin', '/usr/local/bin'];

export function isExecutableFile(candidate: string): boolean {
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

/** A path to an executable as given, or the first executable called `name` on PATH or in the usual sbin folders. */
export function findExecutable(name: string): string | undefined {
  if (name.includes('/')) return isExecutableFile(name) ? name : undefined;
  for (const folder of [...(process.env['PATH'] ?? '').split(path.delimiter), ...SBIN_FOLDERS]) {
    if (folder === '') continue;
    const candidate = path.join(folder, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
