import { rmSync } from 'node:fs';

// Where a server listens: `HOST:PORT` or `unix:PATH` (the form of --listen and of nginx upstreams).

export type ListenAddress = { host: string; port: number } | { path: string };

export function parseListen(text: string): ListenAddress | undefined {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    return path.startsWith('/') ? { path } : undefined;
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const portText = text.slice(colon + 1);
  if (!/^\d+$/.test(portText)) return undefined;
  const port = Number(portText);
  return port >= 0 && port <= 65535 ? { host, port } : undefined;
}

export function formatListen(address: ListenAddress): string {
  return 'path' in address ? `unix:${address.path}` : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

/** Removes a socket file left by a server that died, so listen() does not fail with EADDRINUSE. */
export function removeStaleSocket(address: ListenAddress): void {
  if ('path' in address) rmSync(address.path, { force: true });
}
