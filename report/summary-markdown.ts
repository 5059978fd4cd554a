// summary.md: the original's per-variant blocks first, then the full comparison, then how it was measured.
import type { VariantResult } from '../common/result.js';
import { resultCaveats } from './caveats.js';
import { comparisonColumns } from './columns.js';
import { originalColumns, setupAndNeighbourColumns, stepColumns } from './detail-columns.js';
import { formatUtcMinute } from './format.js';
import { markdownTable } from './markdown-table.js';
import { ORIGINAL_CAVEAT, ORIGINAL_LOAD, ORIGINAL_RESULTS } from './original.js';
import { workerSpreadColumns } from './worker-spread.js';
import { repetitionsSection } from './repetitions-section.js';
import { timeSplitSection } from './time-split-section.js';
import { closedModelSection, serviceTimeSection } from './model-sections.js';
import type { RunInfo } from './run-info.js';
import type { CapacityReport } from './capacity-result.js';
import { capacitySection } from './capacity-section.js';
import { userTimesLines, userTimesOf } from './user-times-block.js';
import { faultLines } from './fault-lines.js';
import { errorsByOriginSection, nginxLimitsSection } from './errors-section.js';
import { isolationSection } from './isolation-section.js';
import { calibrationCaveats, calibrationSection } from './calibration-section.js';
import { verdictSentence } from './verdict.js';
import { sweepSection } from './sweep-section.js';

const HOW_TO_READ =
  'Each user makes three requests on its own connection: GET /, POST the form (answered 302), GET / again. ' +
  "A user's time runs from its scheduled start to the end of its last request, so a client that falls behind " +
  'still counts the wait; lower is better. Errors count users with at least one failed request, out of all ' +
  'scheduled users. Percentiles are over user times; the per-step table is per request. CPU and RSS in the ' +
  'comparison are the app server processes only (CPU ms/user divides by users served); nginx and the database ' +
  'are listed separately. Integrity checks that the table holds exactly one row per accepted POST.';

function variantBlock(result: VariantResult): string {
  return [`### ${result.variant}`, ...userTimesLines(userTimesOf(result)), ...faultLines(result)].join('\n');
}

/** A code span that survives backticks inside the text. */
function inlineCode(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function pinningText(run: RunInfo): string {
  const { pinned, serverCpus, clientCpus } = run.environment;
  if (!pinned) return 'not pinned';
  return `server side on CPUs ${serverCpus ?? '?'}, client on CPUs ${clientCpus ?? '?'}`;
}

function environmentSection(run: RunInfo): string {
  const env = run.environment;
  return [
    '## Environment',
    '',
    `- node: ${env.node}`,
    `- nginx: ${env.nginx}`,
    `- database: ${env.database}`,
    `- OS: ${env.os}`,
    `- CPU: ${env.cpuModel}, ${env.cores} cores`,
    `- pinning: ${pinningText(run)}`,
    `- git commit: ${env.gitCommit ?? 'unknown'}`,
    `- options: ${inlineCode(JSON.stringify(run.options))}`,
  ].join('\n');
}

function originalSection(): string {
  return ['## The original experiment', '', `${ORIGINAL_LOAD}; ${ORIGINAL_CAVEAT}.`, '', markdownTable(originalColumns, ORIGINAL_RESULTS)].join('\n');
}

function resultSections(run: RunInfo, results: readonly VariantResult[]): string[] {
  if (results.length === 0) return ['No variant results were recorded for this run.'];
  const notes = [...calibrationCaveats(results), ...resultCaveats(results)].map((caveat) => `- ${caveat}`);
  return [
    '## Per variant, in the original format',
    results.map(variantBlock).join('\n\n'),
    ...repetitionsSection(results),
    '## Comparison',
    ...(notes.length > 0 ? [notes.join('\n')] : []),
    markdownTable(comparisonColumns, results),
    ...errorsByOriginSection(results),
    ...sweepSection(run, results),
    '## Per step (ms)',
    markdownTable(stepColumns, results),
    '## Setup, nginx and database',
    markdownTable(setupAndNeighbourColumns, results),
    ...nginxLimitsSection(run, results),
    ...isolationSection(run, results),
    ...calibrationSection(results),
    ...closedModelSection(results),
    ...serviceTimeSection(results),
    ...timeSplitSection(results),
    '## Spread over workers (from X-Worker)',
    markdownTable(workerSpreadColumns, results),
  ];
}

function notMeasuredSection(run: RunInfo): string[] {
  if (!run.notMeasured || run.notMeasured.length === 0) return [];
  return ['## Not measured', run.notMeasured.map((n) => `- ${n.variant}: ${n.reason}`).join('\n')];
}

export function summaryMarkdown(run: RunInfo, results: VariantResult[], capacity?: CapacityReport): string {
  const sections = [
    `# benchlab: ${run.label} (${formatUtcMinute(run.startedAt)})`,
    ...(results.length > 0 ? [`**${verdictSentence(run, results, capacity)}**`] : []),
    `Started ${formatUtcMinute(run.startedAt)}, finished ${formatUtcMinute(run.finishedAt)}. Variants: ${run.variants.join(', ') || 'none'}.`,
    '## How to read this',
    HOW_TO_READ,
    ...notMeasuredSection(run),
    ...(capacity !== undefined ? capacitySection(capacity) : []),
    ...resultSections(run, results),
    environmentSection(run),
    originalSection(),
  ];
  return `${sections.join('\n\n')}\n`;
}
