// The accuracy bench's delay target, really started: with MEASURED_TAG it counts only the users
// whose post names that run, so a client's warm-up warms it without entering its figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { distDir } from '../../lab/paths.js';

/** One user's three requests on one connection, each sent after the answer before it. */
async function user(url: URL, tag: string, index: number): Promise<void> {
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const answered = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => ((received.match(/HTTP\/1\.1 /g) ?? []).length >= count ? resolve() : setTimeout(check, 2));
      check();
    });
  socket.write('GET / HTTP/1.1\r\nhost: t\r\n\r\n');
  await answered(1);
  // The client's marker, percent-encoded as its form body carries it: bl:<tag>:<user> text.
  const body = `body=${encodeURIComponent(`bl:${tag}:${index} hello`)}&csrf=x`;
  socket.write(
    `POST / HTTP/1.1\r\nhost: t\r\ncookie: csrftoken=x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
  await answered(2);
  socket.write('GET / HTTP/1.1\r\nhost: t\r\ncookie: csrftoken=x\r\n\r\n');
  await answered(3);
  socket.destroy();
}

test('the delay target counts only the users whose posts carry the measured run tag', async () => {
  const child = spawn(process.execPath, [path.join(distDir, 'bench', 'delay-target.js')], {
    env: { ...process.env, DELAY_MS: '3', MEASURED_TAG: 'run1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('error', reject);
    });
    const url = new URL(line.trim());
    // Two warm-up users (their tag is the run's with a suffix, as `load --warmup-users` makes it), three measured.
    for (const [tag, index] of [
      ['run1w', 0],
      ['run1w', 1],
      ['run1', 0],
      ['run1', 1],
      ['run1', 2],
    ] as const)
      await user(url, tag, index);
    const stats = (await (await fetch(new URL('/stats', url))).json()) as Record<string, { count: number; min: number }>;
    assert.equal(stats['user']!.count, 3, 'users counted');
    for (const step of ['get', 'post', 'redirect']) {
      assert.equal(stats[step]!.count, 3, `${step} holds counted`);
      assert.ok(stats[step]!.min >= 2500, `${step} held about 3 ms (${stats[step]!.min} µs)`);
    }
    assert.ok(stats['user']!.min >= 3 * 2500, 'a user is its three holds added up');
  } finally {
    child.kill('SIGTERM');
  }
});
