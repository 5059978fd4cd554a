// report.html: the run as charts, one self-contained page beside summary.md.
import { verdictSentence } from './verdict.js';
import { calibrationCaveats } from './calibration-section.js';
import { ISOLATION_HOW_TO_READ, isolationColumns } from './isolation-section.js';
import type { StepName, VariantResult } from '../common/result.js';
import { resultCaveats } from './caveats.js';
import type { ChartSpec } from './chart-spec.js';
import { errorClassChart, resourceChart, spectrumChart, timelineChart, workerChart } from './chart-data.js';
import { comparisonColumns, type Column } from './columns.js';
import { originalColumns, setupAndNeighbourColumns, stepColumns } from './detail-columns.js';
import { formatUtcMinute, MISSING } from './format.js';
import { escapeHtml, htmlTable, keyValueTable } from './html.js';
import { htmlPage } from './html-page.js';
import { ORIGINAL_CAVEAT, ORIGINAL_LOAD, ORIGINAL_RESULTS } from './original.js';
import type { RunInfo } from './run-info.js';
import { capacityCharts } from './capacity-chart.js';
import { sweepCharts } from './sweep-section.js';
import type { CapacityReport } from './capacity-result.js';
import { CAPACITY_HOW_TO_READ, capacityColumns } from './capacity-section.js';
import { errorsFraction, userTimesOf } from './user-times-block.js';

const STEP_TITLES: ReadonlyArray<[StepName, string]> = [
  ['get', 'GET / (first page)'],
  ['post', 'POST / (the form, answered 302)'],
  ['redirect', 'GET / after the redirect'],
];

const seconds = (value: number | null) => (value === null ? MISSING : value.toFixed(3));

/** Our variants in the original's columns, so the two tables read side by side. */
const ourOriginalFormatColumns: readonly Column<VariantResult>[] = [
  { header: 'variant', align: 'left', cell: (r) => r.variant },
  { header: 'min s', align: 'right', cell: (r) => seconds(userTimesOf(r).minSeconds) },
  { header: 'max s', align: 'right', cell: (r) => seconds(userTimesOf(r).maxSeconds) },
  { header: 'average s', align: 'right', cell: (r) => seconds(userTimesOf(r).averageSeconds) },
  { header: 'errors', align: 'left', cell: (r) => errorsFraction(r.users.failed, r.users.scheduled) },
];

function chartDivs(charts: readonly ChartSpec[]): string {
  return `<div class="grid">${charts.map((c) => `<div class="chart" data-chart="${escapeHtml(c.id)}"></div>`).join('')}</div>`;
}

function section(title: string, note: string, content: string): string {
  return `<h2>${escapeHtml(title)}</h2>\n<p class="note">${escapeHtml(note)}</p>\n${content}`;
}

/** Parsed options that keep their source text (such as --fail-on limits) show that text. */
function optionText(value: unknown): string {
  if (typeof value === 'string') return value;
  const texts = Array.isArray(value) ? value.map((v: unknown) => (typeof v === 'object' && v !== null && 'text' in v ? v.text : undefined)) : [];
  if (texts.length > 0 && texts.every((t) => typeof t === 'string')) return texts.join(',');
  return JSON.stringify(value);
}

function configurationSection(run: RunInfo): string {
  const env = run.environment;
  const environment: Array<[string, string]> = [
    ['node', env.node],
    ['nginx', env.nginx],
    ['database', env.database],
    ['OS', env.os],
    ['CPU', `${env.cpuModel}, ${env.cores} cores`],
    ['pinning', env.pinned ? `server side on CPUs ${env.serverCpus ?? '?'}, client on CPUs ${env.clientCpus ?? '?'}` : 'not pinned'],
    ['git commit', env.gitCommit ?? 'unknown'],
  ];
  // Unset options are left out, as run.json leaves them out.
  const options = Object.entries(run.options)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]): [string, string] => [key, optionText(value)]);
  return section(
    'Configuration and environment',
    'From run.json: the options the run used and the machine it ran on.',
    `<div class="side-by-side">${keyValueTable(options)}${keyValueTable(environment)}</div>`,
  );
}

function originalSection(results: readonly VariantResult[]): string {
  return section(
    'The original experiment beside ours',
    `${ORIGINAL_LOAD}; ${ORIGINAL_CAVEAT}.`,
    `<div class="side-by-side">${htmlTable(ourOriginalFormatColumns, results, 'This run (seconds per user)')}${htmlTable(
      originalColumns,
      ORIGINAL_RESULTS,
      'The original (seconds per user)',
    )}</div>`,
  );
}

export function reportCharts(results: readonly VariantResult[]): {
  spectra: ChartSpec[];
  timelines: ChartSpec[];
  errors: ChartSpec;
  resources: ChartSpec[];
  workers: ChartSpec[];
} {
  const entries = (pick: (r: VariantResult) => VariantResult['sessionTimeUs']) => results.map((r, i) => ({ label: r.variant, times: pick(r), colorIndex: i }));
  return {
    spectra: [
      spectrumChart(
        'spectrum-user',
        'User time (all three requests)',
        entries((r) => r.sessionTimeUs),
      ),
      ...STEP_TITLES.map(([step, title]) =>
        spectrumChart(
          `spectrum-${step}`,
          title,
          entries((r) => r.stepTimeUs[step]),
        ),
      ),
    ],
    timelines: results.map((r, i) => timelineChart(`timeline-${i}`, `${r.variant}: users per second`, r.timeline)),
    errors: errorClassChart('errors', results),
    resources: [
      resourceChart('cpu', 'CPU seconds by process group', results, 'cpuSeconds'),
      resourceChart('rss', 'Peak RSS by process group (each group at its own peak)', results, 'rssPeakBytes'),
    ],
    workers: results.map((r, i) => workerChart(`workers-${i}`, r, i)),
  };
}

function capacityHtml(capacity: CapacityReport | undefined, charts: readonly ChartSpec[]): string {
  if (capacity === undefined) return '';
  return section(
    'Capacity',
    `SLO ${capacity.slo}. ${CAPACITY_HOW_TO_READ} A curve that bends up sharply marks the rate where the server stops keeping up; the dashed line is the SLO's limit. ` +
      'The rest of this page shows each variant at its capacity (or its lowest rate when none held).',
    htmlTable(capacityColumns, capacity.variants) + chartDivs(charts),
  );
}

function isolationHtml(results: readonly VariantResult[]): string {
  const pinned = results.filter((r) => r.isolation?.pinned);
  return pinned.length === 0 ? '' : section('Isolation', ISOLATION_HOW_TO_READ, htmlTable(isolationColumns, pinned));
}

export function reportHtml(run: RunInfo, results: VariantResult[], capacity?: CapacityReport): string {
  const charts = reportCharts(results);
  const rateCharts = capacity === undefined ? [] : capacityCharts(capacity);
  const sweep = sweepCharts(run, results);
  const caveats = [...calibrationCaveats(results), ...resultCaveats(results)].map((c) => `<p class="caveat">${escapeHtml(c)}</p>`).join('\n');
  const variantNames = run.variants.join(', ') || 'none';
  const body = [
    `<h1>benchlab: ${escapeHtml(run.label)}</h1>`,
    results.length > 0 ? `<p class="verdict"><strong>${escapeHtml(verdictSentence(run, results, capacity))}</strong></p>` : '',
    `<p class="note">Started ${escapeHtml(formatUtcMinute(run.startedAt))}, finished ${escapeHtml(formatUtcMinute(run.finishedAt))}. Variants: ${escapeHtml(variantNames)}. ` +
      'Each user makes three requests on its own connection (GET /, POST the form, GET / after the redirect), timed from its scheduled start.</p>',
    caveats,
    results.length === 0 ? '<p>No variant results were recorded for this run.</p>' : htmlTable(comparisonColumns, results),
    capacityHtml(capacity, rateCharts),
    sweep.length === 0
      ? ''
      : section(
          'Sweep',
          'Each variant at every setting of one knob: the users it served within the SLO and its p99, a line per variant. The best setting serves the most users within the SLO, then has the lowest p99 (summary.md names it per model).',
          chartDivs(sweep),
        ),
    section(
      'Latency by percentile',
      'How long the slowest share of users waited: read a curve from left (typical user) to right (the unluckiest 1 in 100 000). ' +
        'Lower is better; curves that cross mean a variant is faster for most users but worse in the tail. Both axes are logarithmic.',
      chartDivs(charts.spectra),
    ),
    section(
      'Over time',
      'Users arriving, finishing and failing each second. Completions that fall behind arrivals mean the server could not keep up; ' +
        'a burst of errors shows when it gave up.',
      chartDivs(charts.timelines),
    ),
    section(
      'Errors by origin',
      'Failed users per variant, split by where they failed: the client (its in-flight cap or timeout), the connection, nginx itself (its connection limit, or 502/503/504 when it could not reach the app), the app (its own 4xx/5xx) or the content check. docs/measurement.md explains each.',
      chartDivs([charts.errors]),
    ),
    section(
      'CPU and memory',
      'The app server, nginx and (when sampled) the database during the measured window, stacked per variant. ' +
        'Memory stacks each group at its own peak, so the total is an upper bound.',
      chartDivs(charts.resources) + htmlTable(setupAndNeighbourColumns, results, 'Setup, nginx and database'),
    ),
    isolationHtml(results),
    section(
      'Requests per worker',
      'Responses per X-Worker value (a process, or process:thread): an even spread means the listen socket or pool shares work fairly.',
      chartDivs(charts.workers),
    ),
    section(
      'Per step (ms)',
      'Each request timed from the end of the previous one; client lateness shows whether the client itself kept up.',
      htmlTable(stepColumns, results),
    ),
    configurationSection(run),
    originalSection(results),
  ].join('\n');
  const allCharts = [...rateCharts, ...sweep, ...charts.spectra, ...charts.timelines, charts.errors, ...charts.resources, ...charts.workers];
  return htmlPage(`benchlab: ${run.label}`, body, allCharts);
}
