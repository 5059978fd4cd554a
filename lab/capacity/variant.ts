// One variant's capacity: start its stack once, verify and warm it, then measure rate after rate on it.
import fs from 'node:fs';
import path from 'node:path';
import type { VariantSpec } from '../../apps/variants.js';
import type { VariantResult, WarmUpRecord } from '../../common/result.js';
import type { Verification } from '../../common/finding.js';
import type { CapacityStep, VariantCapacity } from '../../report/capacity-result.js';
import { formatMs, MISSING } from '../../report/format.js';
import { highestPassing, nextRate, type SearchEnd } from './search.js';
import { judgeStep } from './step.js';
import { settle } from '../stack/settle.js';
import type { CapacityOptions } from './options.js';
import { checkedAndWarm, leadInto, measureStack, notMeasured, startAndVerify, type VariantRunContext } from '../variant-run.js';
import { DEFAULT_WARM_UP } from '../warm-up.js';

export interface VariantCapacityOutcome {
  verification: Verification;
  capacity: VariantCapacity;
  /** Each step's full result, by rate. */
  results: Map<number, VariantResult>;
}

/** "prefork: 200 users/s held the SLO: served 199.8 users/s, p99 62.3 ms, errors 0%", or what broke it. */
export function stepLogLine(variant: string, step: CapacityStep): string {
  const served = `served ${step.usersPerSecond === null ? MISSING : step.usersPerSecond.toFixed(1)} users/s`;
  const saturated = step.clientSaturated ? ' (client saturated)' : '';
  const queuedLeadIn = step.leadIn?.queued !== undefined ? ` (after a lead-in that queued: ${step.leadIn.queued} users in flight)` : '';
  const notes = `${saturated}${queuedLeadIn}`;
  if (!step.pass) return `${variant}: ${step.rate} users/s broke the SLO: ${step.broken.join(', ')}; ${served}${notes}`;
  const p99 = step.p99Ms === null ? MISSING : `${formatMs(step.p99Ms)} ms`;
  return `${variant}: ${step.rate} users/s held the SLO: ${served}, p99 ${p99}, errors ${step.errorsPercent}%${notes}`;
}

/** The warm-up before the first step with a step's lead-in as its continuous seconds, at the step's rate. */
export function withLeadIn(warmUp: WarmUpRecord, lead: WarmUpRecord | undefined): WarmUpRecord {
  if (lead === undefined) return warmUp;
  return { ...warmUp, rate: lead.rate, slices: lead.slices ?? [], steady: lead.steady, seconds: Math.round((warmUp.seconds + lead.seconds) * 1000) / 1000 };
}

export async function measureCapacity(variant: VariantSpec, ctx: VariantRunContext, o: CapacityOptions, outDir: string): Promise<VariantCapacityOutcome> {
  const name = variant.name;
  const results = new Map<number, VariantResult>();
  const started = await startAndVerify(variant, ctx);
  const { stack } = started;
  try {
    const verification = await started.complete();
    if (!verification.passed) {
      const failed = notMeasured(variant, verification, ctx);
      return {
        verification,
        results,
        capacity: { variant: name, capacity: null, searchEnd: 'not-measured', steps: [], notMeasured: `failed verification: ${failed.join(', ')}` },
      };
    }
    ctx.progress?.phase({ variant: name, phase: 'warming' });
    // At the default rate: the steps then rise from below it, each on a stack the one before warmed.
    // Its load ends with it (no keepGoing): the steps have pauses between them anyway.
    const warmed = await checkedAndWarm(stack, ctx, DEFAULT_WARM_UP.rate);
    if ('checkFailed' in warmed) {
      return { verification, results, capacity: { variant: name, capacity: null, searchEnd: 'not-measured', steps: [], notMeasured: warmed.checkFailed } };
    }
    const steps: CapacityStep[] = [];
    let end: SearchEnd;
    for (;;) {
      const next = nextRate(steps, o.search);
      if ('done' in next) {
        end = next.done;
        break;
      }
      // A rate measured again (the search confirms the one it found) gets a label, a file and markers of its own.
      const nth = steps.filter((s) => s.rate === next.rate).length + 1;
      const label = nth === 1 ? `${name}.${next.rate}` : `${name}.${next.rate}.${nth}`;
      const load = {
        users: Math.max(1, Math.round(next.rate * o.stepSeconds)),
        rampSeconds: o.stepSeconds,
        label,
        detail: `step ${steps.length + 1}: ${next.rate} users/s${nth === 1 ? '' : ' again, to confirm'}`,
      };
      // As in `run`, the step follows a continuous load at its own rate with no pause between them.
      const lead = await leadInto(stack, ctx, next.rate, o.stepSeconds);
      let measured: VariantResult;
      try {
        measured = await measureStack(stack, load, ctx, undefined, lead);
      } finally {
        await lead?.release();
      }
      // Each step carries the one warm-up before the first (the steps after it ran on a warm stack)
      // and its own lead-in's seconds, which its warm-up check sets beside the step.
      const result = { ...measured, warmup: withLeadIn(warmed.warm.record, lead?.record) };
      const file = `${label}.json`;
      fs.writeFileSync(path.join(outDir, file), `${JSON.stringify(result, null, 2)}\n`);
      results.set(next.rate, result);
      const step = judgeStep(
        result,
        next.rate,
        o.slo,
        file,
        lead && {
          seconds: lead.record.seconds,
          keptWarm: lead.keptWarm,
          ...(lead.queued === undefined ? {} : { queued: lead.queued }),
          ...(lead.record.queuedAttempts === undefined ? {} : { queuedAttempts: lead.record.queuedAttempts }),
        },
      );
      steps.push(step);
      ctx.log(stepLogLine(name, step));
      if (!step.pass || result.posts.indeterminate > 0) await settle(stack, ctx.database, ctx.signal);
    }
    return { verification, results, capacity: { variant: name, capacity: highestPassing(steps), searchEnd: end, steps } };
  } finally {
    await stack.stop();
  }
}
