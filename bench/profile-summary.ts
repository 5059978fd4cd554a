// Self time by function and by file or package, from V8 .cpuprofile files (the format the inspector's
// Profiler.stop and `node --cpu-prof` write). Pure: the profile command and its test share it.

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  /** Function name, or V8's pseudo-frames such as (garbage collector). */
  name: string;
  /** Where it is defined: file and line, `native` for a C++ binding, '' for pseudo-frames. */
  where: string;
  /** File or package it belongs to (see groupOf). */
  group: string;
  /** Self time with each sample's interval capped (see summarizeProfile): an estimate of time on the CPU. */
  ms: number;
  /** Self time with the intervals as sampled: wall time, including time the thread waited for a CPU. */
  wallMs: number;
}

export interface ProfileSummary {
  /** Profiled wall time. */
  wallMs: number;
  /** Sampled time spent in JavaScript, bindings, GC and V8 itself: everything but (idle), intervals capped. */
  busyMs: number;
  /** The same with the intervals as sampled. */
  busyWallMs: number;
  /** (idle), and time blocked in Atomics.wait (a piscina thread waiting for a task). */
  idleMs: number;
  functions: SelfTime[];
  groups: Array<{ group: string; ms: number }>;
}

// (root) and (idle) are not work; (program) is V8 and Node outside any JavaScript frame.
const IDLE = '(idle)';
// Frames that block in Atomics.wait, which V8 samples as JavaScript: a piscina thread waiting for work.
const WAITING = new Set(['atomicsWaitLoop']);
const PSEUDO = /^\(.*\)$/;

/** The file or package a frame belongs to: a package under node_modules, a Node internal module, benchlab's own folder, native code. */
export function groupOf(name: string, url: string): string {
  if (url === '') return PSEUDO.test(name) ? name : 'native';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = file.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (file.startsWith('node:')) {
    const parts = file.split('/');
    // node:internal/streams/writable → node:internal/streams; node:net stays as it is.
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const dist = file.lastIndexOf('/dist/');
  if (dist >= 0) {
    const parts = file.slice(dist + '/dist/'.length).split('/');
    return `benchlab ${parts.slice(0, Math.max(1, parts.length - 1)).join('/')}`;
  }
  return file;
}

function whereOf(node: CpuProfileNode): string {
  const { url, lineNumber, functionName } = node.callFrame;
  if (url === '') return PSEUDO.test(functionName) ? '' : 'native';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  const short = modules >= 0 ? file.slice(modules + '/node_modules/'.length) : file.replace(/^.*\/dist\//, '');
  return `${short}:${lineNumber + 1}`;
}

/**
 * Self time per function: each sample's interval (the delta to the next sample; the last one
 * gets the mean) goes to the frame on top of the stack. Frames of one function are merged.
 *
 * V8 samples on a wall clock: when the thread waits for a CPU (another process runs, often the one
 * its last system call woke, such as nginx reading what was just written), the next sample lands
 * wherever the thread resumes, usually in that system call's binding (writeBuffer, writev), and
 * the whole wait is charged to it. `capUs` caps each interval (1.5 × the sampling interval is a
 * good choice) so the figures estimate time on the CPU; wallMs keeps the raw attribution.
 */
export function summarizeProfile(profile: CpuProfile, capUs = Number.POSITIVE_INFINITY): ProfileSummary {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, { capped: number; wall: number }>();
  const meanDelta = samples.length > 1 ? (profile.endTime - profile.startTime) / samples.length : 0;
  for (let i = 0; i < samples.length; i++) {
    const interval = i + 1 < deltas.length ? Math.max(0, deltas[i + 1]!) : meanDelta;
    const known = selfUs.get(samples[i]!) ?? { capped: 0, wall: 0 };
    known.capped += Math.min(interval, capUs);
    known.wall += interval;
    selfUs.set(samples[i]!, known);
  }
  const functions = new Map<string, SelfTime>();
  let idleUs = 0;
  let busyUs = 0;
  let busyWallUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === IDLE || WAITING.has(name)) {
      idleUs += us.wall;
      continue;
    }
    if (name === '(root)') continue;
    busyUs += us.capped;
    busyWallUs += us.wall;
    const where = whereOf(node);
    const key = `${name}\u0000${where}`;
    const known = functions.get(key);
    if (known !== undefined) {
      known.ms += us.capped / 1000;
      known.wallMs += us.wall / 1000;
    } else {
      functions.set(key, { name, where, group: groupOf(node.callFrame.functionName, node.callFrame.url), ms: us.capped / 1000, wallMs: us.wall / 1000 });
    }
  }
  const groups = new Map<string, number>();
  for (const f of functions.values()) groups.set(f.group, (groups.get(f.group) ?? 0) + f.ms);
  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busyUs / 1000,
    busyWallMs: busyWallUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...functions.values()].sort((a, b) => b.ms - a.ms),
    groups: [...groups].map(([group, ms]) => ({ group, ms })).sort((a, b) => b.ms - a.ms),
  };
}

/** Several processes' summaries as one: the same function in each adds up. */
export function mergeSummaries(summaries: readonly ProfileSummary[]): ProfileSummary {
  const functions = new Map<string, SelfTime>();
  const groups = new Map<string, number>();
  for (const s of summaries) {
    for (const f of s.functions) {
      const key = `${f.name}\u0000${f.where}`;
      const known = functions.get(key);
      if (known !== undefined) {
        known.ms += f.ms;
        known.wallMs += f.wallMs;
      } else {
        functions.set(key, { ...f });
      }
    }
    for (const g of s.groups) groups.set(g.group, (groups.get(g.group) ?? 0) + g.ms);
  }
  return {
    wallMs: Math.max(0, ...summaries.map((s) => s.wallMs)),
    busyMs: summaries.reduce((sum, s) => sum + s.busyMs, 0),
    busyWallMs: summaries.reduce((sum, s) => sum + s.busyWallMs, 0),
    idleMs: summaries.reduce((sum, s) => sum + s.idleMs, 0),
    functions: [...functions.values()].sort((a, b) => b.ms - a.ms),
    groups: [...groups].map(([group, ms]) => ({ group, ms })).sort((a, b) => b.ms - a.ms),
  };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A text block: the top functions by self time, then the groups, each with ms and share of the busy time. */
export function formatSummary(title: string, s: ProfileSummary, top = 25): string {
  const share = (ms: number) => (s.busyMs > 0 ? `${((100 * ms) / s.busyMs).toFixed(1)}%` : '-');
  const lines = [
    `== ${title}`,
    `profiled ${(s.wallMs / 1000).toFixed(2)} s; busy ${s.busyMs.toFixed(0)} ms on the CPU (estimate), ${s.busyWallMs.toFixed(0)} ms of wall time; idle or waiting for work ${s.idleMs.toFixed(0)} ms`,
    '',
    `${pad('self ms', 9, true)}  ${pad('share', 6, true)}  ${pad('wall ms', 9, true)}  function (where, group)`,
  ];
  for (const f of s.functions.slice(0, top)) {
    lines.push(
      `${pad(f.ms.toFixed(1), 9, true)}  ${pad(share(f.ms), 6, true)}  ${pad(f.wallMs.toFixed(1), 9, true)}  ${f.name}${f.where ? ` (${f.where})` : ''} [${f.group}]`,
    );
  }
  lines.push('', `${pad('self ms', 9, true)}  ${pad('share', 6, true)}  file or package`);
  for (const g of s.groups.slice(0, top)) lines.push(`${pad(g.ms.toFixed(1), 9, true)}  ${pad(share(g.ms), 6, true)}  ${g.group}`);
  return `${lines.join('\n')}\n`;
}
