import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BAR_WIDTH, phaseLine, progressBar, recentUsersPerSecond, variantDoneLine, type PhaseState } from '../../lab/progress/progress-display.js';
import { phaseReporter, placed, reporterMode, type LabProgress } from '../../lab/progress/phase-reporter.js';
import { readProgressFile, sumProgress, writeProgressFile } from '../../lab/progress/client-progress-file.js';
import type { LoadProgress } from '../../client/progress.js';

const ESC = '\x1b';
const plain = { color: false };

function state(overrides: Partial<PhaseState> = {}): PhaseState {
  return { variant: 'prefork', phase: 'verifying', index: 1, total: 3, elapsedMs: 2100, ...overrides };
}

const load = (overrides: Partial<LoadProgress> = {}): LoadProgress => ({
  elapsedSeconds: 2,
  scheduled: 2000,
  started: 800,
  ok: 790,
  failed: 3,
  inFlight: 7,
  ...overrides,
});

describe('progressBar', () => {
  test('fills in proportion, clamped, always the same width', () => {
    assert.equal(progressBar(0, 10), '░░░░░░░░░░');
    assert.equal(progressBar(0.5, 10), '█████░░░░░');
    assert.equal(progressBar(1, 10), '██████████');
    assert.equal(progressBar(3, 10), '██████████');
    assert.equal(progressBar(-1, 10), '░░░░░░░░░░');
    assert.equal(progressBar(Number.NaN, 10), '░░░░░░░░░░');
    assert.equal(progressBar(0.25).length, BAR_WIDTH);
  });
});

describe('phaseLine', () => {
  test('a phase without a bar shows where the run is and how long the phase has taken', () => {
    assert.equal(phaseLine(state(), plain), '[1/3] prefork  verifying  2.1 s');
    assert.equal(phaseLine(state({ phase: 'starting', elapsedMs: 0, index: 2 }), plain), '[2/3] prefork  starting   0.0 s');
  });

  test('measuring shows a bar over the ramp, live users/s, errors and users in flight', () => {
    const line = phaseLine(state({ phase: 'measuring', expectedSeconds: 5, load: load({ elapsedSeconds: 2.5 }), usersPerSecond: 398.04 }), plain);
    assert.equal(line, `[1/3] prefork  measuring  ${'█'.repeat(12)}${'░'.repeat(12)}  2.5/5 s  398.0 users/s  3 errors  7 in flight`);
  });

  test('measuring before the client reported, and while it drains after the ramp', () => {
    assert.match(phaseLine(state({ phase: 'measuring', expectedSeconds: 5 }), plain), /measuring {2}░{24} {2}0\.0\/5 s {2}starting the client$/);
    const draining = phaseLine(state({ phase: 'measuring', expectedSeconds: 5, load: load({ elapsedSeconds: 6.25 }), usersPerSecond: 10 }), plain);
    assert.match(draining, /█{24} {2}5 s \+ 1\.3 s draining {2}10\.0 users\/s/);
  });

  test('a capacity step names its rate', () => {
    assert.match(
      phaseLine(state({ phase: 'measuring', detail: 'step 3: 200 users/s', expectedSeconds: 5 }), plain),
      /^\[1\/3\] prefork {2}measuring {2}step 3: 200 users\/s {2}░/,
    );
  });

  test('colour only when asked: the variant bold, the bar green, errors red', () => {
    const s = state({ phase: 'measuring', expectedSeconds: 5, load: load(), usersPerSecond: 1 });
    assert.ok(!phaseLine(s, plain).includes(ESC));
    const coloured = phaseLine(s, { color: true });
    assert.ok(coloured.includes(`${ESC}[1mprefork${ESC}[0m`));
    assert.ok(coloured.includes(`${ESC}[32m  ${progressBar(0.4)}${ESC}[0m`));
    assert.ok(coloured.includes(`${ESC}[31m3 errors${ESC}[0m`));
    assert.ok(!phaseLine({ ...s, load: load({ failed: 0 }) }, { color: true }).includes(`${ESC}[31m`));
  });

  test('cut to the terminal width so a redraw never wraps, colour codes not counted', () => {
    const s = state({ phase: 'measuring', expectedSeconds: 5, load: load(), usersPerSecond: 1 });
    for (const columns of [20, 40, 60]) {
      assert.equal(phaseLine(s, { color: false, columns }).length, columns - 1);
      assert.equal(phaseLine(s, { color: true, columns }).replace(/\x1b\[\d+m/g, '').length, columns - 1);
    }
    assert.equal(phaseLine(state(), { color: false, columns: 200 }), '[1/3] prefork  verifying  2.1 s');
  });
});

describe('variantDoneLine', () => {
  test("the time in each phase in the phases' order, and the total", () => {
    const times = new Map([
      ['measuring', 11_200],
      ['starting', 800],
      ['verifying', 3100],
    ] as const);
    assert.equal(variantDoneLine('prefork', 2, 3, times, plain), '✓ [2/3] prefork  15.1 s: starting 0.8 s, verifying 3.1 s, measuring 11.2 s');
  });
});

describe('recentUsersPerSecond', () => {
  test('finished users over the last seconds, not since the start', () => {
    const samples = [0, 1, 2, 3, 4].map((s) => ({ elapsedSeconds: s, finished: s <= 2 ? 0 : (s - 2) * 100 }));
    assert.equal(recentUsersPerSecond(samples), 100);
    assert.equal(recentUsersPerSecond(samples, 1), 100);
    assert.equal(recentUsersPerSecond([{ elapsedSeconds: 2, finished: 50 }]), 25);
    assert.equal(recentUsersPerSecond([]), 0);
    assert.equal(recentUsersPerSecond([{ elapsedSeconds: 0, finished: 0 }]), 0);
  });
});

function fakeStream(columns?: number): { write(text: string): boolean; columns?: number; text: () => string } {
  let written = '';
  return {
    write: (t: string) => {
      written += t;
      return true;
    },
    ...(columns !== undefined ? { columns } : {}),
    text: () => written,
  };
}

describe('phaseReporter', () => {
  test('mode: nothing with --quiet or --json, the status line on a terminal, plain lines otherwise', () => {
    assert.equal(reporterMode({ json: false, quiet: false }, true), 'tty');
    assert.equal(reporterMode({ json: false, quiet: false }, false), 'lines');
    assert.equal(reporterMode({ json: true, quiet: false }, true), 'silent');
    assert.equal(reporterMode({ json: false, quiet: true }, true), 'silent');
  });

  test('lines: only the log lines, exactly, with no escape codes', () => {
    const stream = fakeStream(80);
    const reporter = phaseReporter(stream, 'lines');
    reporter.log('prefork: up in 812 ms behind http://127.0.0.1:8080');
    reporter.phase({ variant: 'prefork', phase: 'measuring', index: 1, total: 1, expectedSeconds: 5 });
    reporter.load(load());
    reporter.end({ variant: 'prefork', index: 1, total: 1, measured: true });
    reporter.log('prefork: 4000 users over 10 s');
    reporter.close();
    assert.equal(stream.text(), 'prefork: up in 812 ms behind http://127.0.0.1:8080\nprefork: 4000 users over 10 s\n');
  });

  test('silent: nothing at all', () => {
    const stream = fakeStream();
    const reporter = phaseReporter(stream, 'silent');
    reporter.log('x');
    reporter.phase({ variant: 'prefork', phase: 'starting', index: 1, total: 1 });
    reporter.close();
    assert.equal(stream.text(), '');
  });

  test('tty: redraws one status line, keeps log lines above it, and leaves a line per variant', () => {
    let now = 0;
    const stream = fakeStream(100);
    const reporter = phaseReporter(stream, 'tty', () => now);
    reporter.phase({ variant: 'prefork', phase: 'starting', index: 1, total: 2 });
    now = 800;
    reporter.log('prefork: up in 800 ms');
    reporter.phase({ variant: 'prefork', phase: 'measuring', index: 1, total: 2, expectedSeconds: 4 });
    now = 1800;
    reporter.load(load({ elapsedSeconds: 1, ok: 100, failed: 0 }));
    now = 2300;
    reporter.load(load({ elapsedSeconds: 1.5, ok: 150, failed: 0 }));
    now = 5000;
    reporter.end({ variant: 'prefork', index: 1, total: 2, measured: true });
    reporter.close();
    const text = stream.text();
    const frames = text.split('\r\x1b[2K').filter((f) => f !== '');
    assert.ok(
      frames.every((f) => f.replace(/\x1b\[\d+m/g, '').replace(/\n$/, '').length < 100),
      'no frame wraps',
    );
    assert.ok(
      frames.some((f) => f.endsWith('prefork: up in 800 ms\n')),
      'the log line stays',
    );
    assert.ok(
      frames.some((f) => /measuring.*1\.5\/4 s {2}100\.0 users\/s {2}.*0 errors/.test(f.replace(/\x1b\[\d+m/g, ''))),
      text,
    );
    assert.match(frames[frames.length - 1]!.replace(/\x1b\[\d+m/g, ''), /^✓ \[1\/2\] prefork {2}5\.0 s: starting 0\.8 s, measuring 4\.2 s\n$/);
  });

  test('tty: a variant that was not measured says so', () => {
    const stream = fakeStream();
    const reporter = phaseReporter(stream, 'tty', () => 0);
    reporter.phase({ variant: 'odd', phase: 'verifying', index: 2, total: 2 });
    reporter.end({ variant: 'odd', index: 2, total: 2, measured: false });
    reporter.close();
    assert.match(stream.text().replace(/\x1b\[\d+m/g, ''), /✗ \[2\/2\] odd {2}not measured\n$/);
  });

  test("placed: a variant's events carry its place in the run", () => {
    const seen: unknown[] = [];
    const progress: LabProgress = { phase: (e) => seen.push(e), load: (p) => seen.push(p), end: () => {} };
    const variant = placed(progress, 2, 5)!;
    variant.phase({ variant: 'fastcgi', phase: 'warming' });
    variant.load(load());
    assert.deepEqual(seen, [{ variant: 'fastcgi', phase: 'warming', index: 2, total: 5 }, load()]);
    assert.equal(placed(undefined, 1, 1), undefined);
  });
});

describe("the client's progress file", () => {
  test('written whole and read back; a missing or foreign file reads as nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-progress-'));
    try {
      const file = path.join(dir, 'p.json');
      assert.equal(readProgressFile(file), undefined);
      writeProgressFile(file, load());
      assert.deepEqual(readProgressFile(file), load());
      assert.deepEqual(fs.readdirSync(dir), ['p.json'], 'no partial file stays behind');
      fs.writeFileSync(file, '{"elapsedSeconds": 1}');
      assert.equal(readProgressFile(file), undefined);
      writeProgressFile(path.join(dir, 'missing', 'p.json'), load());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('several clients add up; the time is the furthest along', () => {
    assert.deepEqual(sumProgress([load({ elapsedSeconds: 2 }), load({ elapsedSeconds: 2.5, failed: 1 })]), {
      elapsedSeconds: 2.5,
      scheduled: 4000,
      started: 1600,
      ok: 1580,
      failed: 4,
      inFlight: 14,
    });
  });
});
