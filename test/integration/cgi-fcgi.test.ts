import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';

const require = createRequire(import.meta.url);

/** The slice of node-fastcgi (CJS, untyped) used here. */
interface NodeFastcgi {
  createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server;
}
const fcgi = require('node-fastcgi') as NodeFastcgi;

// Debian's libfcgi-bin puts cgi-fcgi on PATH; without it there is nothing to check against
const cgiFcgi = (process.env.PATH ?? '/usr/bin')
  .split(path.delimiter)
  .map((dir) => path.join(dir, 'cgi-fcgi'))
  .find((candidate) => existsSync(candidate));

function runCgiFcgi(port: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'env',
      ['-i', 'REQUEST_METHOD=GET', 'REQUEST_URI=/', 'SERVER_PROTOCOL=HTTP/1.1', cgiFcgi!, '-bind', '-connect', `127.0.0.1:${port}`],
      { timeout: 10_000 },
      (error, stdout, stderr) => (error ? reject(Object.assign(error, { stdout, stderr })) : resolve({ stdout, stderr })),
    );
    // cgi-fcgi forwards its stdin as FCGI_STDIN; a GET has no body
    child.stdin?.end();
  });
}

test('cgi-fcgi (libfcgi) gets a complete answer from a node-fastcgi server', {
  skip: cgiFcgi === undefined && 'cgi-fcgi is not installed',
  timeout: 15_000,
}, async () => {
  const server = fcgi.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end(`hello ${req.method} ${req.url}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { stdout, stderr } = await runCgiFcgi((server.address() as AddressInfo).port);
    assert.match(stdout, /^Status: 200 OK\r\n/);
    assert.match(stdout, /\r\nContent-Type: text\/plain\r\n/);
    assert.ok(stdout.endsWith('\r\n\r\nhello GET /\n'), `cgi-fcgi output: ${JSON.stringify(stdout)}`);
    assert.equal(stderr, '');
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
