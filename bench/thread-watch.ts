// A watcher outside the lab: runs a command (`npm run lab`, a `benchlab run` or `capacity`) and,
// while it runs, reads every thread of the server side from /proc every 50 ms: the app servers
// (`benchlab serve`, their cluster workers and threads), nginx and the database servers. A thread
// that used CPU time since the last reading, or is running now, is a running sample on the CPU the
// kernel last ran it on. Every 500 ms it also reads each thread's affinity. When the command ends
// it takes the measured windows from the results it wrote (each variant's load, from its start for
// its duration; `--results DIR`, else results/latest) and counts the samples inside them: a variant
// starts on every CPU and is confined to the server CPUs before anything is measured, so set-up is
// reported but not judged.
//
// It shares no code with the lab: its /proc parsing and its idea of which processes are the server
// side are its own, so it can disagree with the lab's own isolation figures.
//
//   npm run bench:thread-watch -- npm run lab
//
// Processes the command started (descendants) are judged; a database server that the command did
// not start (the machine's own) is reported apart, as it serves the run only when named by
// --database. Exit status: the command's, or 1 when a server-side thread of the command ran on, or
// was allowed on, a client CPU in a measured window.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';

export interface ThreadStat {
  comm: string;
  state: string;
  ppid: number;
  /** utime + stime, clock ticks. */
  ticks: number;
  /** The CPU the thread last ran on (proc(5) field 39). */
  processor: number;
}

/** One /proc/PID[/task/TID]/stat line; the command name may hold spaces and parentheses. */
export function parseThreadStat(line: string): ThreadStat | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = line
    .slice(close + 2)
    .trim()
    .split(' ');
  // fields[0] is proc(5)'s field 3.
  const at = (n: number) => Number(fields[n - 3]);
  if (fields.length < 37) return undefined;
  return { comm: line.slice(open + 1, close), state: fields[0]!, ppid: at(4), ticks: at(14) + at(15), processor: at(39) };
}

/** "0-2,5" → [0, 1, 2, 5]. */
export function parseCpuListText(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    for (let c = a!; c <= (b ?? a!); c++) cpus.push(c);
  }
  return cpus;
}

export type Role = 'app' | 'nginx' | 'database';

/** What part of the server side a process is, from its name and arguments; undefined for anything else. */
export function roleOf(comm: string, argv: string[]): Role | undefined {
  if (comm === 'nginx') return 'nginx';
  if (comm === 'mariadbd' || comm === 'mysqld') return 'database';
  // `node <cli> serve --variant …`; cluster workers carry the same argv.
  if (argv.length >= 3 && /node$/.test(argv[0]!) && argv[2] === 'serve') return 'app';
  return undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

interface Watched {
  pid: number;
  role: Role;
  mine: boolean;
  label: string;
}

function descendantsOf(root: number, parents: Map<number, number>): Set<number> {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const out = new Set<number>();
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    for (const child of children.get(pid) ?? []) {
      if (!out.has(child)) {
        out.add(child);
        todo.push(child);
      }
    }
  }
  return out;
}

function scan(root: number): Watched[] {
  const parents = new Map<number, number>();
  const found: { pid: number; role: Role; argv: string[] }[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = parseThreadStat(readText(`/proc/${name}/stat`) ?? '');
    if (!stat) continue;
    const pid = Number(name);
    parents.set(pid, stat.ppid);
    const argv = (readText(`/proc/${name}/cmdline`) ?? '').split('\0').filter((a) => a !== '');
    const role = roleOf(stat.comm, argv);
    if (role) found.push({ pid, role, argv });
  }
  const mine = descendantsOf(root, parents);
  return found.map((f) => ({ pid: f.pid, role: f.role, mine: mine.has(f.pid), label: `${f.role} ${f.pid}` }));
}

/** A measured window, epoch ms. */
export interface Window {
  name: string;
  from: number;
  to: number;
}

/** The measured windows of a results directory: each variant's load, from its start for its duration. */
export function windowsOf(dir: string): Window[] {
  const run = JSON.parse(fs.readFileSync(`${dir}/run.json`, 'utf8')) as { variants: string[] };
  return run.variants.flatMap((name) => {
    const file = `${dir}/${name}.json`;
    if (!fs.existsSync(file)) return [];
    const load = JSON.parse(fs.readFileSync(file, 'utf8')) as { startedAt: string; durationSeconds: number };
    const from = Date.parse(load.startedAt);
    return [{ name, from, to: from + load.durationSeconds * 1000 }];
  });
}

interface Thread {
  watched: Watched;
  tid: string;
  fd: number;
  ticks: number | undefined;
  /** Its affinity list at the last scan, when that included a client CPU. */
  open: string | undefined;
}

/** A reading of a thread that ran: when, where, and whether it was allowed on a client CPU then. */
interface Event {
  at: number;
  key: string;
  name: string;
  onClient: boolean;
  open: string | undefined;
}

const statBuffer = Buffer.alloc(4096);

function readFd(fd: number): string | undefined {
  try {
    return statBuffer.toString('latin1', 0, fs.readSync(fd, statBuffer, 0, statBuffer.length, 0));
  } catch {
    return undefined;
  }
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { 'client-cpus': { type: 'string' }, 'interval-ms': { type: 'string' }, results: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    console.error('usage: thread-watch [--client-cpus LIST] [--interval-ms N] [--results DIR] -- COMMAND [ARGS…]');
    process.exit(2);
  }
  const cores = os.availableParallelism();
  const clientCpus = new Set(parseCpuListText(values['client-cpus'] ?? String(cores - 1)));
  const intervalMs = Number(values['interval-ms'] ?? 50);
  if (!Number.isFinite(intervalMs) || intervalMs < 1 || [...clientCpus].some((c) => !(c >= 0 && c < cores))) {
    console.error(`thread-watch: --client-cpus must name CPUs 0-${cores - 1} and --interval-ms be 1 or more`);
    process.exit(2);
  }
  const startedAt = Date.now();
  const child = spawn(positionals[0]!, positionals.slice(1), { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  // Out of the server's way: the watcher keeps to the client CPUs at the lowest priority, where a
  // waking client preempts it; set after the command started, which keeps the default. Unpinned and
  // every 20 ms it took 6% of a CPU and disturbed the run it watched.
  try {
    execFileSync('taskset', ['-a', '-p', '-c', [...clientCpus].join(','), String(process.pid)], { stdio: 'ignore' });
    os.setPriority(19);
  } catch {
    console.error('thread-watch: could not keep itself to the client CPUs at nice 19; it runs where the kernel puts it');
  }
  const threads = new Map<string, Thread>();
  const events: Event[] = [];
  let readings = 0;
  let lastScan = -Infinity;
  const keyOf = (w: Watched) => (w.mine ? w.role : `${w.role} not started by the command`);
  // Every 500 ms: which processes and threads there are, and each thread's affinity.
  const rescan = () => {
    const seen = new Set<string>();
    for (const w of scan(child.pid!)) {
      let tids: string[];
      try {
        tids = fs.readdirSync(`/proc/${w.pid}/task`);
      } catch {
        continue;
      }
      for (const tid of tids) {
        const id = `${w.pid}/${tid}`;
        seen.add(id);
        let thread = threads.get(id);
        if (!thread) {
          try {
            thread = { watched: w, tid, fd: fs.openSync(`/proc/${w.pid}/task/${tid}/stat`, 'r'), ticks: undefined, open: undefined };
          } catch {
            continue;
          }
          threads.set(id, thread);
        }
        const allowed = readText(`/proc/${w.pid}/task/${tid}/status`)?.match(/^Cpus_allowed_list:\s*(.*)$/m)?.[1];
        thread.open = allowed && parseCpuListText(allowed).some((c) => clientCpus.has(c)) ? allowed : undefined;
      }
    }
    for (const [id, thread] of threads) {
      if (seen.has(id)) continue;
      fs.closeSync(thread.fd);
      threads.delete(id);
    }
  };
  const sample = () => {
    const now = performance.now();
    if (now - lastScan >= 500) {
      rescan();
      lastScan = now;
    }
    readings++;
    const at = Date.now();
    for (const thread of threads.values()) {
      const stat = parseThreadStat(readFd(thread.fd) ?? '');
      if (!stat) continue;
      const before = thread.ticks;
      thread.ticks = stat.ticks;
      if (stat.state !== 'R' && (before === undefined || stat.ticks <= before)) continue;
      const w = thread.watched;
      events.push({ at, key: keyOf(w), name: `${w.label} ${stat.comm}`, onClient: clientCpus.has(stat.processor), open: thread.open });
    }
  };
  const timer = setInterval(sample, intervalMs);
  child.on('exit', (code, signal) => {
    clearInterval(timer);
    const own = process.cpuUsage();
    console.log(
      `\nthread-watch: ${readings} readings over ${((Date.now() - startedAt) / 1000).toFixed(0)} s, every ${intervalMs} ms; client CPUs ${[...clientCpus].join(',')}; the watcher's own CPU ${((own.user + own.system) / 1e6).toFixed(1)} s`,
    );
    const dir = values.results ?? 'results/latest';
    let windows: Window[] = [];
    try {
      windows = windowsOf(dir).filter((w) => w.from >= startedAt);
    } catch {
      // No results: a command that failed, or one that writes elsewhere (--results names them).
    }
    const inWindow = (e: Event) => windows.some((w) => e.at >= w.from && e.at <= w.to);
    if (windows.length === 0) console.log(`  no measured window of this command in ${dir}: every reading counts`);
    else console.log(`  measured windows (${dir}): ${windows.map((w) => `${w.name} ${((w.to - w.from) / 1000).toFixed(1)} s`).join(', ')}`);
    let failed = false;
    for (const key of [...new Set(events.map((e) => e.key))].sort()) {
      const mine = !key.includes('not started');
      const all = events.filter((e) => e.key === key);
      const measured = windows.length === 0 ? all : all.filter(inWindow);
      const onClient = measured.filter((e) => e.onClient);
      const open = new Set(measured.filter((e) => e.open !== undefined).map((e) => `${e.name} [${e.open}]`));
      console.log(
        `  ${key}: ${measured.length} running samples in the measured windows, ${onClient.length} on a client CPU; over the whole command ${all.length}, ${all.filter((e) => e.onClient).length} on a client CPU (set-up included)`,
      );
      const where = new Map<string, number>();
      for (const e of onClient) where.set(e.name, (where.get(e.name) ?? 0) + 1);
      for (const [name, n] of where) console.log(`    on a client CPU in a window: ${name} × ${n}`);
      for (const name of open) console.log(`    allowed on a client CPU in a window: ${name}`);
      if (mine && (onClient.length > 0 || open.size > 0)) failed = true;
    }
    if (events.length === 0) console.log('  no server-side thread was seen running');
    console.log(
      failed
        ? 'thread-watch: a server-side thread of the command ran on, or was allowed on, a client CPU in a measured window'
        : 'thread-watch: no server-side thread of the command ran on a client CPU in a measured window',
    );
    process.exit(code !== null && code !== 0 ? code : signal !== null || failed ? 1 : 0);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) main();
