// What the conformance check reports: every contract line as pass, warn or fail, never stopping at the first.

export type FindingStatus = 'pass' | 'warn' | 'fail';

export interface Finding {
  /** Stable id, e.g. `post.redirect`. */
  id: string;
  /** The contract line checked (ARCHITECTURE.md). */
  line: string;
  status: FindingStatus;
  detail: string;
}

export interface Verification {
  target: string;
  variant: string;
  passed: boolean;
  findings: Finding[];
}

export function verificationOf(target: string, variant: string, findings: Finding[]): Verification {
  return { target, variant, passed: !findings.some((f) => f.status === 'fail'), findings };
}

/** A failed assertion inside a check: the finding's detail. */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

export function expect(condition: unknown, detail: string): asserts condition {
  if (!condition) throw new ContractViolation(detail);
}
