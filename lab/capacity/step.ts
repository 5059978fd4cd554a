// One measured rate judged against the SLO: the figures capacity.json keeps of each step.
import type { VariantResult } from '../../common/result.js';
import type { CapacityStep } from '../../report/capacity-result.js';
import { rounded } from '../../report/format.js';
import { sloBreaks, type Objective } from '../../common/slo.js';

/** A lost or doubled write is never a sustained rate, whatever the SLO says. */
function integrityBreak(result: VariantResult): string[] {
  const i = result.integrity;
  if (i.ok !== false) return [];
  return [`integrity (${i.problems.join(', ')})`];
}

export function judgeStep(result: VariantResult, rate: number, slo: readonly Objective[], file: string, leadIn?: CapacityStep['leadIn']): CapacityStep {
  const times = result.sessionTimeUs;
  const { failed, scheduled, ok } = result.users;
  // A lead-in that queued is recorded, not judged: the step then starts from a drained server, as a
  // run does after a warm-up that queued, and a step is judged as a run at its rate would be.
  const broken = [...sloBreaks(result, slo), ...integrityBreak(result)];
  return {
    rate,
    users: scheduled,
    usersPerSecond: result.durationSeconds > 0 ? rounded(ok / result.durationSeconds, 1) : null,
    p50Ms: times.count > 0 ? rounded(times.p50 / 1000, 2) : null,
    p99Ms: times.count > 0 ? rounded(times.p99 / 1000, 2) : null,
    errorsPercent: scheduled === 0 ? 0 : (rounded((failed / scheduled) * 100, 3) ?? 0),
    integrityOk: result.integrity.ok !== false,
    clientSaturated: result.validity !== undefined && !result.validity.valid,
    pass: broken.length === 0,
    broken,
    file,
    ...(leadIn === undefined ? {} : { leadIn }),
  };
}
