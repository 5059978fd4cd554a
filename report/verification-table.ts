import type { Verification } from '../common/finding.js';
import { paint } from './ansi.js';

const MARK = { pass: 'pass', warn: 'WARN', fail: 'FAIL' } as const;

/** One block per verified variant: each contract line with pass/WARN/FAIL, then a count. */
export function verificationTable(verifications: readonly Verification[], options: { color: boolean }): string {
  const out: string[] = [];
  for (const v of verifications) {
    out.push(`${v.variant} (${v.target}): ${v.passed ? paint('passed', 'green', options.color) : paint('FAILED', 'red', options.color)}`);
    const idWidth = Math.max(...v.findings.map((f) => f.id.length));
    for (const f of v.findings) {
      const mark = f.status === 'fail' ? paint(MARK.fail, 'red', options.color) : f.status === 'warn' ? paint(MARK.warn, 'bold', options.color) : MARK.pass;
      out.push(`  ${mark}  ${f.id.padEnd(idWidth)}  ${f.line}${f.detail ? ` — ${f.detail}` : ''}`);
    }
    const count = (s: string) => v.findings.filter((f) => f.status === s).length;
    out.push(`  ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail`, '');
  }
  const failed = verifications.filter((v) => !v.passed).map((v) => v.variant);
  out.push(failed.length === 0 ? `all ${verifications.length} verified` : `failed verification: ${failed.join(', ')}`);
  return `${out.join('\n')}\n`;
}
