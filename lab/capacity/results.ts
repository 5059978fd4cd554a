// capacity.json read back, for `benchlab report` and `benchlab compare` on a capacity run's folder.
import { LabError } from '../../common/errors.js';
import { representativeStep, type CapacityReport } from '../../report/capacity-result.js';

export function asCapacityReport(file: string, value: unknown): CapacityReport {
  const report = value as Partial<CapacityReport> | null;
  const valid =
    typeof report === 'object' &&
    report !== null &&
    typeof report.slo === 'string' &&
    Array.isArray(report.variants) &&
    report.variants.every((v) => typeof v === 'object' && v !== null && typeof v.variant === 'string' && Array.isArray(v.steps));
  if (!valid) throw new LabError('BL_ERR_USAGE', `${file} is not a capacity report (it needs slo and variants with their steps)`);
  return report as CapacityReport;
}

/** The result files that stand for the variants, in capacity.json's order: each at its capacity, else its lowest rate. */
export function capacityResultFiles(report: CapacityReport): string[] {
  return report.variants.flatMap((v) => {
    const step = representativeStep(v);
    return step === null ? [] : [step.file];
  });
}
