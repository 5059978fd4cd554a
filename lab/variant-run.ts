import { LabError } from '../common/errors.js';
import { RUN_DEFAULTS } from '../common/defaults.js';
import { scheduleFaults } from './faults/kinds.js';
import { faultInjector } from './faults/injectors.js';
import { processTree, startSampler, treeCpuNs, type Sampler } from './stack/sampler.js';
import { startCpuTimeline, type CpuTimeline } from './stack/cpu-timeline.js';
import { readCpuTicks, type CpuTicks } from './stack/cpu-ticks.js';
import { startVariantStack, type VariantStack, type VariantStackOptions } from './stack/variant-stack.js';
import type { Database } from './stack/database.js';
import type { RunOptions } from './run-options.js';
import { runLoad } from '../client/load.js';
import { costsText, DEFAULT_WARM_UP, leadIn, warmUntilSteady, warmupRateFor, type LeadIn, type WarmStack } from './warm-up.js';
import { roundsByRate } from '../report/detail-columns.js';
import { settle } from './stack/settle.js';
import type { FaultRecord, LoadResult, ResourceSummary, VariantResult } from '../common/result.js';
import type { VariantSpec } from '../apps/variants.js';
import type { Verification } from '../common/finding.js';
import { startCopyWithoutDatabase, verifyAllButDatabaseDown, type CopyWithoutDatabase, type PartialVerification } from './verify.js';
import { accessLogSince, fileSize, textSince, timeSplitOf } from './stack/time-split.js';
import { nginxEventsOf } from './stack/nginx-events.js';
import { withNginxConnectionLimit } from '../common/error-origin.js';
import { integrityOf } from '../common/integrity.js';
import { parseSlo, sloBreaks } from '../common/slo.js';
import { clientValidity, peakValidity } from './validity.js';
import { cpuUnion } from './stack/confine.js';
import type { VariantProgress } from './progress/phase-reporter.js';
import { getPeak, runMeasuringClients, startMeasuringClients, type MeasuredLoad, type MeasuringClients } from './measuring-clients.js';
import { cpuSecondsBetween, isolationOf, type MachineCpuWindow } from './stack/isolation.js';
import { readMachineCpu, type ProcessCpu } from './stack/machine-cpu.js';

export interface VariantRunContext {
  options: RunOptions;
  database: Database;
  /** Where logs and the client's raw result go. */
  workDir: string;
  runTag: string;
  log(line: string): void;
  signal: AbortSignal;
  /** Phases and the measuring client's live counts, for a progress display. */
  progress?: VariantProgress | undefined;
}

type Validity = { valid: boolean; reasons: string[] };

const bothValid = (a: Validity, b: Validity | undefined): Validity =>
  b === undefined ? a : { valid: a.valid && b.valid, reasons: [...a.reasons, ...b.reasons] };

/** Tags of the uncounted users before a measurement: a late write of theirs is told apart from a foreign row. */
const checkTag = (runTag: string) => `${runTag}c`;
const warmupTag = (runTag: string) => `${runTag}w`;

/**
 * One user through GET, POST+302, GET on an empty table; then the warm-up, until the app's CPU per
 * user settles, at `rate` users/s (by default the measured load's own rate, at least 200). With
 * `keepGoing`, a warm-up that settled keeps its load going until the caller releases it (the
 * measurement does as it starts); the caller releases it in any case.
 */
export async function checkAndWarm(stack: VariantStack, ctx: VariantRunContext, rate = warmupRateFor(ctx.options), keepGoing = false): Promise<WarmStack> {
  const o = ctx.options;
  const name = stack.variant.name;
  const base = { target: stack.target, variant: name, timeoutMs: o.timeoutMs, arrival: 'uniform' as const, expectBackend: name, checkOwnPost: true };
  // An empty table, or the check's user could pass on a page that verification filled, whatever became of its post.
  await ctx.database.resetTable();
  const check = await runLoad({ ...base, users: 1, rampSeconds: 0, runTag: checkTag(ctx.runTag) }, { signal: ctx.signal });
  if (check.users.ok !== 1) {
    throw new LabError('BL_ERR_CHECK', `failed the one-user check (GET, POST+302, GET): ${Object.keys(check.errors).join(', ')}`);
  }
  const warm = await warmUntilSteady(stack, base, { ...DEFAULT_WARM_UP, rate, minUsers: o.warmupUsers }, warmupTag(ctx.runTag), ctx.signal, keepGoing);
  const w = warm.record;
  if (w.rounds.length > 0) {
    ctx.log(
      `${name}: warmed up at ${w.rate} users/s in ${w.seconds.toFixed(0)} s, CPU ms/user in ${roundsByRate(w)} rounds ${costsText(w.rounds)}, ` +
        `then ${w.slices?.length ?? 0} s continuous ${costsText(w.slices ?? [])}${w.steady ? '' : ' (not settled)'}${warm.keptWarm ? ', kept going until the measurement' : ''}${attemptsText(w.queuedAttempts)}`,
    );
    // An overload during the warm-up must not leave work queued for the measurement; a load that
    // settled and goes on has no queue.
    if (!warm.keptWarm) await settle(stack, ctx.database, ctx.signal);
  }
  return warm;
}

/** "; started again after 2 attempts that queued (612, 540 users in flight)": nothing when none did. */
export function attemptsText(queuedAttempts: readonly number[] | undefined): string {
  if (!queuedAttempts?.length) return '';
  const n = queuedAttempts.length;
  return `; started again after ${n} attempt${n === 1 ? '' : 's'} that queued (${queuedAttempts.join(', ')} users in flight)`;
}

/**
 * Empties the table and leads into one of `capacity`'s steps on a warm stack: the warm-up's
 * continuous load at the step's rate, going on until the step's clients start. One that did not
 * settle within `maxSeconds` (the step's own length, at least the three seconds that can agree, at
 * most the warm-up's) has ended (`queued` says when for a queue), and the stack is settled before
 * the step. Nothing when the warm-up is off (`--warmup-users 0`).
 */
export async function leadInto(stack: VariantStack, ctx: VariantRunContext, rate: number, maxSeconds: number): Promise<LeadIn | undefined> {
  const o = ctx.options;
  if (o.warmupUsers === 0) return undefined;
  const name = stack.variant.name;
  await ctx.database.resetTable();
  const base = { target: stack.target, variant: name, timeoutMs: o.timeoutMs, expectBackend: name, checkOwnPost: true, runTag: warmupTag(ctx.runTag) };
  const maxSlices = Math.min(DEFAULT_WARM_UP.maxSlices, Math.max(RUN_DEFAULTS.warmupSteadyRounds, Math.ceil(maxSeconds)));
  const lead = await leadIn(stack, base, { ...DEFAULT_WARM_UP, rate, minUsers: o.warmupUsers, maxSlices }, ctx.signal);
  const slices = lead.record.slices ?? [];
  const how = lead.keptWarm
    ? `${lead.record.steady ? '' : 'not settled but kept up, '}kept going into the step`
    : lead.queued !== undefined
      ? `ended with ${lead.queued} users in flight (not kept up)`
      : 'not settled';
  ctx.log(`${name}: lead-in at ${rate} users/s, ${slices.length} s, CPU ms/user ${costsText(slices)}: ${how}${attemptsText(lead.record.queuedAttempts)}`);
  if (!lead.keptWarm) await settle(stack, ctx.database, ctx.signal);
  return lead;
}

/**
 * Empties the table, loads the running stack while sampling its processes, and audits every write.
 * `clients` are the load's processes started ahead (startMeasuringClients); without, they start here.
 */
export async function measureStack(
  stack: VariantStack,
  load: MeasuredLoad,
  ctx: VariantRunContext,
  clients?: MeasuringClients,
  warm?: WarmStack,
): Promise<VariantResult> {
  // A Ctrl-C during the warm-up ends the run there, rather than starting a client against stopped servers.
  ctx.signal.throwIfAborted();
  // Only the measured users' posts and the warm-up's (told apart by their tag) may be in the table
  // when it is audited. Under a warm-up load that goes on, the table keeps its rows: a TRUNCATE
  // then held every insert until it was done, and the measurement started behind a queue (the first
  // second served 150–220 of 400 users in four of nine variants measured so).
  if (!warm?.keptWarm) await ctx.database.resetTable();
  let sampler: Sampler | undefined;
  let result: LoadResult;
  let resources: Record<string, ResourceSummary> | undefined;
  const logOffset = fileSize(stack.nginx.accessLog);
  const errorLogOffset = fileSize(stack.nginx.errorLog);
  const faults = ctx.options.faults?.length
    ? scheduleFaults(ctx.options.faults, faultInjector(stack, ctx.database), (line) => ctx.log(`${stack.variant.name}: ${line}`))
    : undefined;
  let injected: FaultRecord[] | undefined;
  let measuring: MeasuringClients;
  let ticksAtStart: Map<string, CpuTicks> | undefined;
  let ticksAtEnd: Map<string, CpuTicks> | undefined;
  let labCpuAtStart: NodeJS.CpuUsage | undefined;
  let machineAtStart: { cpu: Map<number, ProcessCpu>; lab: number[] } | undefined;
  let machine: MachineCpuWindow | undefined;
  let labSeconds: number | undefined;
  let cpuTimeline: CpuTimeline | undefined;
  let cpuBySecond: number[] = [];
  try {
    ctx.log(`${stack.variant.name}: ${load.stages ? `stages ${load.stages}` : `${load.users} users over ${load.rampSeconds} s`}`);
    ctx.progress?.phase({
      variant: stack.variant.name,
      phase: 'measuring',
      expectedSeconds: load.rampSeconds,
      ...(load.detail !== undefined ? { detail: load.detail } : {}),
    });
    measuring = clients ?? (await startMeasuringClients(stack, load, ctx));
    // The window opens with the start gate: the clients' boot and wait are not the server's figures.
    result = await runMeasuringClients(
      measuring,
      stack,
      ctx,
      (startMs) => {
        // The warm-up's load, if it still runs, ends as the measured one starts: no pause between them.
        void warm?.release();
        sampler = startSampler({
          server: () => [stack.app.pid],
          nginx: () => stack.nginx.pids(),
          database: () => ctx.database.pids(),
        });
        cpuTimeline = startCpuTimeline(() => treeCpuNs(stack.app.pid), startMs);
        faults?.start();
      },
      async () => {
        // Every process's CPU is read before the gate opens (23–25 ms of the lab's CPU that would
        // otherwise fall on the client CPUs in the clients' first moments), then the window's start.
        if (ctx.options.serverCpus !== undefined && ctx.options.clientCpus !== undefined)
          machineAtStart = { cpu: await readMachineCpu(), lab: processTree([process.pid]) };
        ticksAtStart = readCpuTicks();
        labCpuAtStart = process.cpuUsage();
      },
    );
  } finally {
    resources = sampler?.stop();
    cpuBySecond = cpuTimeline?.stop() ?? [];
    ticksAtEnd = readCpuTicks();
    if (labCpuAtStart !== undefined) labSeconds = cpuSecondsBetween(labCpuAtStart, process.cpuUsage());
    if (machineAtStart !== undefined) {
      const lab = new Set([...machineAtStart.lab, ...processTree([process.pid])]);
      machine = { before: machineAtStart.cpu, after: await readMachineCpu(), lab };
    }
    injected = await faults?.settle();
  }
  const isolation = isolationOf(stack, ctx, ticksAtStart, ticksAtEnd, result, labSeconds, machine);
  ctx.progress?.phase({ variant: stack.variant.name, phase: 'auditing' });
  const peak = ctx.options.closed ? await getPeak(stack, load, ctx) : undefined;
  const audit = await ctx.database.auditMeasurement(result.posts.acceptedMarkers, {
    // A client's event loops tag their users apart (`<tag>t<j>`): the tags its result reports count too.
    measured: [...new Set([...measuring.tags, ...(result.markerTags?.measured ?? [])])],
    warmup: [checkTag(ctx.runTag), warmupTag(ctx.runTag)],
  });
  const integrity = integrityOf(result.posts, result.users.failed, audit);
  const access = accessLogSince(stack.nginx.accessLog, logOffset);
  const nginxEvents = nginxEventsOf(textSince(stack.nginx.errorLog, errorLogOffset), access);
  const measured: VariantResult = {
    ...result,
    timeline: result.timeline.map((second) => {
      const serverCpuMs = cpuBySecond[second.second];
      return serverCpuMs === undefined ? second : { ...second, serverCpuMs };
    }),
    validity: bothValid(
      bothValid(clientValidity(result, ctx.options.maxLatenessMs), peak ? peakValidity(peak) : undefined),
      isolation.strays.length > 0
        ? { valid: false, reasons: [`server-side threads were allowed on other CPUs than ${isolation.serverCpus}: ${isolation.strays.join(', ')}`] }
        : undefined,
    ),
    isolation,
    integrity,
    ...(injected ? { faults: injected } : {}),
    timeSplit: timeSplitOf(access),
    nginxEvents,
    // A reset while nginx ran out of connections was nginx's limit, not the app's.
    errorOrigins: withNginxConnectionLimit(result.errorOrigins ?? {}, nginxEvents.connectionLimit),
    ...(peak ? { peak } : {}),
    server: resources?.['server'] ?? null,
    nginx: resources?.['nginx'] ?? null,
    // The machine's own server is sampled when it runs here in sight; one elsewhere has no figures.
    database: ctx.database.pids().length > 0 ? (resources?.['database'] ?? null) : null,
    // Measured only after the verification and the one-user check passed.
    setup: { startMs: stack.startMs, workers: stack.workers, contractCheck: 'pass' },
  };
  const breaks = sloBreaks(measured, parseSlo(ctx.options.slo));
  return { ...measured, slo: { text: ctx.options.slo, held: breaks.length === 0, breaks } };
}

export function stackOptions(ctx: VariantRunContext): VariantStackOptions {
  return stackOptionsOf(ctx.options, ctx.database, ctx.workDir);
}

export function stackOptionsOf(o: RunOptions, database: Database, workDir: string): VariantStackOptions {
  return {
    databaseUrl: database.url,
    workers: o.workers,
    threads: o.threads,
    threadTasks: o.threadTasks,
    dbPool: o.dbPool,
    backlog: o.backlog,
    appSocket: o.appSocket,
    upstreamKeepalive: o.upstreamKeepalive,
    nginxWorkers: o.nginxWorkers,
    nginxLimits: o.nginxLimits,
    serverCpus: o.serverCpus,
    // The client CPUs are idle until the measurement: the variant may start on them too.
    startCpus: o.serverCpus !== undefined && o.clientCpus !== undefined ? cpuUnion(o.serverCpus, o.clientCpus) : undefined,
    workDir,
  };
}

export interface VariantOutcome {
  verification: Verification;
  /** Absent when the variant was not measured; then `notMeasured` says why. */
  result?: VariantResult;
  notMeasured?: string;
}

/** Runs the one-user check and the warm-up; a variant that fails the check is not measured, and the run goes on. */
export async function checkedAndWarm(
  stack: VariantStack,
  ctx: VariantRunContext,
  rate?: number,
  keepGoing = false,
): Promise<{ warm: WarmStack } | { checkFailed: string }> {
  try {
    return { warm: await checkAndWarm(stack, ctx, rate, keepGoing) };
  } catch (error) {
    if (!(error instanceof LabError) || error.code !== 'BL_ERR_CHECK') throw error;
    ctx.log(`${stack.variant.name}: ${error.message}: not measured`);
    return { checkFailed: error.message };
  }
}

/** A started variant with its verification, all but the line that waits for the copy without a database. */
export interface StartedVariant extends PartialVerification {
  stack: VariantStack;
}

/**
 * Starts a variant behind nginx and, in the first round, checks it against the contract. The copy
 * without a database that `/healthz`'s 503 needs starts at the same time, niced, on the client CPUs
 * (idle during set-up); its line is checked by `complete()`, after the warm-up, when it is up.
 * A stack that started is stopped again if verification throws.
 */
export async function startAndVerify(variant: VariantSpec, ctx: VariantRunContext, round = 1, verifyIt = round === 1): Promise<StartedVariant> {
  ctx.progress?.phase({ variant: variant.name, phase: 'starting' });
  await ctx.database.resetTable();
  const options = stackOptions(ctx);
  // Verified once: later rounds (and later settings of a sweep) only repeat the measurement.
  const verify = verifyIt;
  let copy: Promise<CopyWithoutDatabase> | undefined;
  if (verify) {
    copy = startCopyWithoutDatabase(variant, options, ctx.options.clientCpus);
    // Awaited by verification; a failure to start shows there as a failed check.
    copy.catch(() => undefined);
  }
  let stack: VariantStack;
  try {
    stack = await startVariantStack(variant, options);
  } catch (error) {
    await copy?.then(
      (c) => c.stop(),
      () => undefined,
    );
    throw error;
  }
  try {
    ctx.log(`${variant.name}: up in ${stack.startMs} ms behind ${stack.target}${ctx.options.repeat > 1 ? ` (round ${round})` : ''}`);
    if (copy === undefined) {
      const verification = { target: stack.target, variant: variant.name, passed: true, findings: [] };
      return { stack, verification, complete: async () => verification, release: async () => undefined };
    }
    ctx.progress?.phase({ variant: variant.name, phase: 'verifying' });
    return { stack, ...(await verifyAllButDatabaseDown(stack, ctx.database, `${ctx.runTag}v`, copy)) };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** Logs that a variant failed verification and is not measured; gives the lines it failed. */
export function notMeasured(variant: VariantSpec, verification: Verification, ctx: VariantRunContext): string[] {
  const failed = verification.findings.filter((f) => f.status === 'fail').map((f) => f.id);
  ctx.log(`${variant.name}: failed verification (${failed.join(', ')}): not measured`);
  return failed;
}

/** What one measurement of a variant is: its round, and for a sweep the setting and whether to verify again. */
export interface Measurement {
  round: number;
  /** A sweep's setting, e.g. "workers=3", in the measurement's label and file. */
  setting?: string;
  verify?: boolean;
}

/** One variant, start to finish: start, verify, warm up, measure, audit, and stop everything. */
export async function runVariant(variant: VariantSpec, ctx: VariantRunContext, round: number | Measurement = 1): Promise<VariantOutcome> {
  const m = typeof round === 'number' ? { round } : round;
  const started = await startAndVerify(variant, ctx, m.round, m.verify ?? m.round === 1);
  const { stack } = started;
  try {
    if (!started.verification.passed) {
      const verification = await started.complete();
      notMeasured(variant, verification, ctx);
      return { verification };
    }
    const base = m.setting === undefined ? variant.name : `${variant.name}.${m.setting.replace('=', '-')}`;
    const label = ctx.options.repeat > 1 ? `${base}.r${m.round}` : base;
    const load = { users: ctx.options.users, rampSeconds: ctx.options.rampSeconds, label, stages: ctx.options.stages };
    // The measuring clients boot during the warm-up and wait for the lab's word to start.
    const clients = await startMeasuringClients(stack, load, ctx);
    try {
      ctx.progress?.phase({ variant: variant.name, phase: 'warming' });
      const warmed = await checkedAndWarm(stack, ctx, undefined, true);
      try {
        // The copy without a database had the warm-up to come up: its line completes the verification.
        const verification = await started.complete();
        if (!verification.passed) {
          notMeasured(variant, verification, ctx);
          return { verification };
        }
        if ('checkFailed' in warmed) return { verification, notMeasured: warmed.checkFailed };
        return { verification, result: { ...(await measureStack(stack, load, ctx, clients, warmed.warm)), warmup: warmed.warm.record } };
      } finally {
        if ('warm' in warmed) await warmed.warm.release();
      }
    } finally {
      await clients.stop();
    }
  } finally {
    await started.release();
    await stack.stop();
  }
}
