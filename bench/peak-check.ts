// Check 3 of the accuracy bench: the lab's closed-model GET / peak (`benchlab load --mode peak`,
// the lab's own kept-alive connections) and wrk against the same variant's nginx endpoint, with the same connections
// and duration, interleaved round by round; their req/s must agree within 10%. Before that, both
// tools' requests are captured to show they send the same thing, and both are run against the
// static nginx once for the tools' own ceilings (which only shows the client is not the limit).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findVariant } from '../apps/variants.js';
import { runLoad } from '../client/load.js';
import { PEAK_WARMUP_SECONDS } from '../client/peak.js';
import type { PeakResult } from '../client/peak.js';
import { cliPath } from '../lab/paths.js';
import { median } from '../common/repetitions.js';
import { openDatabase } from '../lab/run.js';
import { runOptionsFrom } from '../lab/run-options.js';
import { accessLogSince, fileSize } from '../lab/stack/time-split.js';
import type { AccessLogEntry } from '../lab/stack/nginx.js';
import { clockTicksPerSecond, processTree, readProcStat } from '../lab/stack/sampler.js';
import { stackOptionsOf } from '../lab/variant-run.js';
import { variantAvailable } from '../lab/stack/variant-command.js';
import { startVariantStack } from '../lab/stack/variant-stack.js';
import type { CpuSplit } from './bench-setup.js';
import { formatRate, table } from './bench-setup.js';
import { runPinned, runWrk } from './load-tools.js';
import type { ToolRun } from './load-tools.js';
import { startStaticTarget } from './static-target.js';
import { readCpuTicks } from '../lab/stack/cpu-ticks.js';

/** The default prefork variant, and the one with the highest GET / ceiling on one server core. */
export const PEAK_VARIANTS = ['http-prefork-fastify', 'http-single-fastify'];
const PAGE_ENTRIES = 20;
/** Uncounted load on a freshly started variant before its first round. */
const SERVER_WARMUP_SECONDS = 5;
const WARMUP_SECONDS = PEAK_WARMUP_SECONDS;
const CAPTURE_SECONDS = 1;
/** The agreement the check asks for. */
export const PEAK_TOLERANCE = 0.1;

export interface PeakCheckOptions {
  connections: number;
  /** Measured seconds per run. */
  seconds: number;
  /** Runs of each tool per variant, interleaved. */
  rounds: number;
}

export type PeakTool = 'benchlab peak' | 'wrk';
const TOOLS: PeakTool[] = ['benchlab peak', 'wrk'];

export interface PeakRun {
  tool: PeakTool;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Socket errors, timeouts and non-2xx answers, as the tool counts them. */
  errors: number;
  /** The tool's CPU over its run, as a share of one core. */
  cpuShare: number;
  /** What nginx logged in the run's window. */
  nginx: NginxWindow;
  server?: ServerCpu;
}

export interface NginxWindow {
  /** Lines logged from the start of the tool's process to its end. */
  lines: number;
  /** 499: requests in flight when the tool closed its connections at the end of the run. */
  cutAtEnd: number;
  /** Lines that were neither a 200 nor a 499 to a cookie-less GET /. */
  other: number;
}

/** The server side's CPU over one measured window: app, nginx and MariaDB, all on the server core. */
export interface ServerCpu {
  /** As a share of one core. */
  share: number;
  /** The server core's idle share: time nothing, the server included, had work for it. */
  coreIdle: number;
}

interface CoreSample {
  atMs: number;
  serverTicks: number;
  /** The server core's idle + iowait ticks, from /proc/stat. */
  idleTicks: number;
}

/** The sample nearest to a time. */
export function sampleAt<T extends { atMs: number }>(samples: readonly T[], atMs: number): T | undefined {
  let best: T | undefined;
  for (const sample of samples) if (best === undefined || Math.abs(sample.atMs - atMs) < Math.abs(best.atMs - atMs)) best = sample;
  return best;
}

/** Reads the server's CPU ticks and its core's /proc/stat line every 100 ms, with wall-clock times, to cut out any window. */
function watchServerCore(pids: number[], core: string | undefined): { between(startMs: number, endMs: number): ServerCpu | undefined; stop(): void } {
  const samples: CoreSample[] = [];
  const hz = clockTicksPerSecond();
  const read = () => {
    const serverTicks = pids.reduce((sum, pid) => sum + (readProcStat(pid)?.cpuTicks ?? 0), 0);
    const ticks = core === undefined ? undefined : readCpuTicks().get(`cpu${core}`);
    samples.push({ atMs: Date.now(), serverTicks, idleTicks: ticks?.idle ?? 0 });
  };
  read();
  const timer = setInterval(read, 100);
  return {
    between(startMs, endMs) {
      read();
      const from = sampleAt(samples, startMs);
      const to = sampleAt(samples, endMs);
      if (from === undefined || to === undefined || to.atMs <= from.atMs) return undefined;
      const seconds = (to.atMs - from.atMs) / 1000;
      return {
        share: (to.serverTicks - from.serverTicks) / hz / seconds,
        // Idle is counted by the idle loop, the busy fields only sampled at the tick (lab/stack/cpu-ticks.ts): idle over the wall time.
        coreIdle: core === undefined ? 0 : Math.min(1, (to.idleTicks - from.idleTicks) / hz / seconds),
      };
    },
    stop: () => clearInterval(timer),
  };
}

export interface PeakAgreement {
  peakMedian: number;
  wrkMedian: number;
  /** The ratio of the medians. */
  ratio: number;
  /** The median of each round's ratio: the two runs of a round are back to back, so drift in the server cancels. */
  pairedRatio: number;
  met: boolean;
}

/**
 * The tools' median req/s and their ratio, and the median of the rounds' own ratios, which decides
 * whether they agree within the tolerance: the server's speed drifts by more than 10% over minutes
 * on a shared machine, and each round's two runs see nearly the same server.
 */
export function peakAgreement(runs: readonly (Pick<PeakRun, 'tool' | 'requestsPerSecond'> & { round: number })[], tolerance = PEAK_TOLERANCE): PeakAgreement {
  const of = (tool: PeakTool) => runs.filter((r) => r.tool === tool);
  const peak = of('benchlab peak');
  const wrk = of('wrk');
  if (peak.length === 0 || wrk.length === 0) throw new Error('the peak check needs runs of both tools');
  const peakMedian = median(peak.map((r) => r.requestsPerSecond));
  const wrkMedian = median(wrk.map((r) => r.requestsPerSecond));
  const ratio = wrkMedian > 0 ? peakMedian / wrkMedian : 0;
  const paired = peak.flatMap((p) => {
    const w = wrk.find((r) => r.round === p.round);
    return w !== undefined && w.requestsPerSecond > 0 ? [p.requestsPerSecond / w.requestsPerSecond] : [];
  });
  const pairedRatio = paired.length > 0 ? median(paired) : 0;
  // The epsilon keeps 1100 against 1000 inside a 10% tolerance despite floating point.
  return { peakMedian, wrkMedian, ratio, pairedRatio, met: pairedRatio > 0 && Math.abs(pairedRatio - 1) <= tolerance + 1e-9 };
}

/** What one tool sent, as a capturing server saw it. */
export interface RequestCapture {
  /** Each distinct request head (request line and headers, CRLF-separated), with how often it came. */
  heads: Map<string, number>;
  requests: number;
  connections: number;
}

/** Splits what arrived on one connection into request heads; a GET has no body. Returns the unfinished rest. */
export function splitHeads(buffered: string): { heads: string[]; rest: string } {
  const parts = buffered.split('\r\n\r\n');
  return { heads: parts.slice(0, -1), rest: parts.at(-1) ?? '' };
}

/** The header names in a request head, lower-cased, without the request line. */
export function headerNames(head: string): string[] {
  return head
    .split('\r\n')
    .slice(1)
    .map((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase());
}

// What the capture answers: a small page with a cookie, as a variant would set one, to see whether a tool sends it back.
const CAPTURE_ANSWER = 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: csrftoken=capture; Path=/; HttpOnly\r\nContent-Length: 2\r\n\r\nok';

/** A server that answers every request with a fixed page and records the heads; one per tool. */
async function captureRequests(send: (url: string) => Promise<void>): Promise<RequestCapture> {
  const capture: RequestCapture = { heads: new Map(), requests: 0, connections: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    capture.connections++;
    sockets.add(socket);
    let rest = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      const split = splitHeads(rest + chunk);
      rest = split.rest;
      for (const head of split.heads) {
        capture.requests++;
        capture.heads.set(head, (capture.heads.get(head) ?? 0) + 1);
        socket.write(CAPTURE_ANSWER);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    await send(`http://127.0.0.1:${port}`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
  return capture;
}

async function runPeakTool(run: ToolRun, name: string, connections: number, seconds: number): Promise<{ result: PeakResult; cpuShare: number }> {
  const out = path.join(run.workDir, `${name}.json`);
  fs.rmSync(out, { force: true });
  const args = [
    cliPath,
    'load',
    '--target',
    run.url,
    '--mode',
    'peak',
    '--connections',
    String(connections),
    '--duration',
    String(seconds),
    '--quiet',
    '--out',
    out,
  ];
  const exit = await runPinned(name, process.execPath, args, run);
  if (exit.code !== 0 || !fs.existsSync(out))
    throw new Error(`benchlab load --mode peak exited with ${exit.code}: ${exit.output.trim().split('\n').at(-1) ?? ''}`);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as PeakResult;
  // The client's own count covers the measured run without node's start-up and the warm-up; the process's as a fallback.
  const cpuShare = result.client !== undefined ? result.client.cpuSeconds / result.client.wallSeconds : exit.cpuSeconds / result.durationSeconds;
  return { result, cpuShare };
}

async function wrkTool(run: ToolRun, connections: number, seconds: number): Promise<{ requests: number; seconds: number; errors: number; cpuShare: number }> {
  const figure = await runWrk(run, seconds, connections);
  if (figure.missing !== undefined) throw new Error(`wrk: ${figure.missing}`);
  return { requests: figure.requests, seconds: figure.seconds, errors: figure.errors, cpuShare: figure.seconds > 0 ? figure.cpuSeconds / figure.seconds : 0 };
}

interface Observed {
  accessLog: string;
  server: ReturnType<typeof watchServerCore>;
}

/** One measured run of a tool: a short warm-up run of the same tool first, then the run, with nginx's log of its window and the server's CPU. */
async function measure(tool: PeakTool, run: ToolRun, observed: Observed | undefined, options: PeakCheckOptions, name: string): Promise<PeakRun> {
  const once = async (seconds: number, label: string) => {
    if (tool === 'wrk') {
      const figure = await wrkTool(run, options.connections, seconds);
      return { ...figure, endMs: Date.now() };
    }
    const { result, cpuShare } = await runPeakTool(run, label, options.connections, seconds);
    const endMs = result.finishedAt !== undefined ? Date.parse(result.finishedAt) : Date.now();
    return { requests: result.requests, seconds: result.durationSeconds, errors: result.errors + result.non2xx, cpuShare, endMs };
  };
  // benchlab's peak warms up in its own process, on the connections it then measures on; wrk gets the same second of load.
  if (tool === 'wrk') await once(WARMUP_SECONDS, `${name}-warmup`);
  const offset = observed === undefined ? 0 : fileSize(observed.accessLog);
  const { endMs, ...measured } = await once(options.seconds, name);
  const server = observed?.server.between(endMs - measured.seconds * 1000, endMs);
  const entries = observed === undefined ? [] : accessLogSince(observed.accessLog, offset);
  const plainGet = (e: AccessLogEntry) => e.method === 'GET' && e.path === '/' && e.hadCookie !== true;
  const cutAtEnd = entries.filter((e) => plainGet(e) && e.status === 499).length;
  const other = entries.filter((e) => !plainGet(e) || (e.status !== 200 && e.status !== 499)).length;
  const requestsPerSecond = measured.seconds > 0 ? measured.requests / measured.seconds : 0;
  return {
    tool,
    ...measured,
    requestsPerSecond,
    nginx: { lines: entries.length, cutAtEnd, other },
    ...(server !== undefined ? { server } : {}),
  };
}

/** A B, then B A, and so on: a drift in the machine's other load favours neither tool. */
export function roundOrder(round: number): PeakTool[] {
  return round % 2 === 1 ? [...TOOLS] : [...TOOLS].reverse();
}

const percent = (share: number) => `${Math.round(share * 100)}%`;

function describeCapture(tool: PeakTool, capture: RequestCapture): string[] {
  const lines = [`   ${tool}: ${capture.requests} requests on ${capture.connections} connections, ${capture.heads.size} distinct head(s)`];
  for (const head of capture.heads.keys()) lines.push(`     ${JSON.stringify(head.replace(/:\d+\r\n/, ':PORT\r\n'))}`);
  return lines;
}

/** Prints check 3; resolves once every process it started has stopped. */
export async function peakCheck(workDir: string, signal: AbortSignal, cpus: CpuSplit, options: PeakCheckOptions, write: (text: string) => void): Promise<void> {
  const loadAverage = () =>
    os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(', ');
  write(
    `3. Closed-model GET / peak (benchlab load --mode peak) against wrk -t1: ${options.connections} kept-alive connections each, ${SERVER_WARMUP_SECONDS} s of server warm-up per variant, ${WARMUP_SECONDS} s warm-up per run, ${options.seconds} s measured, ${options.rounds} interleaved rounds per variant; load average ${loadAverage()}\n`,
  );

  // What each tool sends: the same request line and headers, no cookie, connections kept alive.
  const captures = new Map<PeakTool, RequestCapture>();
  for (const tool of TOOLS) {
    signal.throwIfAborted();
    captures.set(
      tool,
      await captureRequests(async (url) => {
        const run = { url, cpus: cpus.client, workDir };
        if (tool === 'wrk') await wrkTool(run, 2, CAPTURE_SECONDS);
        else await runPeakTool(run, 'capture-peak', 2, CAPTURE_SECONDS);
      }),
    );
  }
  write('   What each tool sends (captured, 2 connections, 1 s):\n');
  for (const [tool, capture] of captures) write(`${describeCapture(tool, capture).join('\n')}\n`);
  const names = [...captures.values()].map((c) => new Set([...c.heads.keys()].flatMap(headerNames)));
  const only = (a: Set<string>, b: Set<string>) => [...a].filter((n) => !b.has(n));
  const lines = [...captures.values()].map((c) => new Set([...c.heads.keys()].map((h) => h.split('\r\n')[0])));
  const sameLine = lines.every((l) => l.size === 1) && [...lines[0]!][0] === [...lines[1]!][0];
  const cookies = [...captures.values()].some((c) => [...c.heads.keys()].some((h) => headerNames(h).includes('cookie')));
  const keptAlive = [...captures.values()].every((c) => c.requests > c.connections * 10);
  write(
    `   same request line: ${sameLine ? 'yes' : 'NO'}; cookie sent back: ${cookies ? 'YES' : 'never'}; connections kept alive: ${keptAlive ? 'yes' : 'NO'}; headers only benchlab peak sends: ${only(names[0]!, names[1]!).join(', ') || 'none'}; only wrk: ${only(names[1]!, names[0]!).join(', ') || 'none'}\n\n`,
  );

  // The tools' own ceilings: static nginx on the server core, one run each.
  const ceilings: string[][] = [];
  const target = await startStaticTarget(cpus.server !== undefined ? { cpus: cpus.server } : {});
  try {
    for (const tool of TOOLS) {
      signal.throwIfAborted();
      const r = await measure(tool, { url: target.url, cpus: cpus.client, workDir }, undefined, options, `static-${tool.replace(' ', '-')}`);
      ceilings.push([tool, formatRate(r.requestsPerSecond), String(r.errors), percent(r.cpuShare)]);
    }
  } finally {
    await target.stop();
  }
  write(
    `   The tools' own ceilings (static nginx from memory, not the 10% check; each far above any variant's GET / ceiling, so the client is not the limit):\n`,
  );
  write(`${table(['tool', 'req/s', 'errors', 'tool CPU'], ceilings).replace(/^/gm, '   ')}\n\n`);

  // The check: a real variant behind nginx with MariaDB, its page filled with 20 entries.
  // A private MariaDB, pinned with the app and nginx: the whole server side on its core, and the
  // client's core holds the client alone (a shared, unpinned database would run on either).
  const runOptions = runOptionsFrom(
    { privateDb: true, ...(cpus.server === undefined ? { pin: false } : { serverCpus: cpus.server, clientCpus: cpus.client }) },
    {},
    os.availableParallelism(),
  );
  const database = await openDatabase(runOptions, () => {});
  const roundRows: string[][] = [];
  const summary: string[][] = [];
  let allMet = true;
  try {
    await database.ensureSchema();
    for (const name of PEAK_VARIANTS) {
      signal.throwIfAborted();
      const variant = findVariant(name);
      if (variant === undefined) throw new Error(`no variant ${name}`);
      const available = variantAvailable(variant);
      if (!available.ok) throw new Error(`${name}: ${available.why}`);
      await database.resetTable();
      const dir = path.join(workDir, name);
      fs.mkdirSync(dir, { recursive: true });
      const stack = await startVariantStack(variant, stackOptionsOf(runOptions, database, dir));
      const runs: (PeakRun & { round: number })[] = [];
      const pids = processTree([stack.app.pid, ...stack.nginx.pids(), ...database.pids()]);
      const observed: Observed = { accessLog: stack.nginx.accessLog, server: watchServerCore(pids, cpus.server) };
      try {
        const filled = await runLoad(
          { target: stack.target, users: PAGE_ENTRIES, rampSeconds: 0, timeoutMs: 10_000, arrival: 'uniform', expectBackend: name, runTag: 'peak' },
          { signal },
        );
        if (filled.users.ok !== PAGE_ENTRIES) throw new Error(`${name}: filling the page failed: ${JSON.stringify(filled.errors)}`);
        const run = { url: stack.target, cpus: cpus.client, workDir: dir };
        // The server's own warm-up, uncounted: in the first round its workers' code was still cold.
        await wrkTool(run, options.connections, SERVER_WARMUP_SECONDS);
        for (let round = 1; round <= options.rounds; round++) {
          for (const tool of roundOrder(round)) {
            signal.throwIfAborted();
            const r = await measure(tool, run, observed, options, `${tool.replace(' ', '-')}-${round}`);
            runs.push({ ...r, round });
            roundRows.push([
              name,
              String(round),
              tool,
              formatRate(r.requestsPerSecond),
              String(r.errors),
              String(r.nginx.cutAtEnd),
              String(r.nginx.other),
              percent(r.cpuShare),
              r.server ? percent(r.server.share) : '-',
              r.server ? percent(r.server.coreIdle) : '-',
            ]);
          }
        }
      } finally {
        observed.server.stop();
        await stack.stop();
      }
      const agreement = peakAgreement(runs);
      allMet &&= agreement.met;
      const spread = (tool: PeakTool) => {
        const rates = runs.filter((r) => r.tool === tool).map((r) => r.requestsPerSecond);
        return `${formatRate(Math.min(...rates))}–${formatRate(Math.max(...rates))}`;
      };
      summary.push([
        name,
        formatRate(agreement.peakMedian),
        spread('benchlab peak'),
        formatRate(agreement.wrkMedian),
        spread('wrk'),
        agreement.ratio.toFixed(3),
        agreement.pairedRatio.toFixed(3),
        agreement.met ? 'met' : 'NOT MET',
      ]);
    }
  } finally {
    await database.stop();
  }
  write(
    `   Against the variants' nginx (server and nginx on CPU ${cpus.server ?? 'any'}, tools on CPU ${cpus.client ?? 'any'}, page of ${PAGE_ENTRIES} entries), round by round:\n`,
  );
  write(
    `${table(['variant', 'round', 'tool', 'req/s', 'errors', 'nginx 499', 'nginx other', 'tool CPU', 'server CPU', 'server core idle'], roundRows).replace(/^/gm, '   ')}\n`,
  );
  write(
    '   errors: socket errors, timeouts and non-2xx as the tool counts them; nginx 499: requests in flight when the tool closed its connections at the end (of the warm-up too); nginx other: anything but a 200 to a cookie-less GET /; server CPU: app, nginx and MariaDB over the measured window, as a share of their core\n\n',
  );
  write(
    `${table(['variant', 'peak median', 'peak range', 'wrk median', 'wrk range', 'ratio of medians', 'median of round ratios', 'within 10%'], summary).replace(/^/gm, '   ')}\n`,
  );
  write(`   within 10% of wrk: ${allMet ? 'met' : 'NOT MET'} (load average ${loadAverage()})\n`);
}
