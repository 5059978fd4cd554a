import net from 'node:net';
import { LabError, optionError } from '../../common/errors.js';

/** A TCP port that was free a moment ago; the kernel picks it. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error(`no TCP address for ${host}`);
  return address.port;
}

/** Throws a clear error when something already listens on host:port, instead of a later bind failure. */
export async function assertPortFree(host: string, port: number, optionName: string): Promise<void> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new LabError('BL_ERR_PORT_BUSY', `port ${port} on ${host} is busy (${optionName})`);
    throw optionError(optionName, `cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** How to write host:port in a URL (IPv6 needs brackets, a wildcard address is reached on loopback). */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
