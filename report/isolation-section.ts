// Whether the server side kept to its CPUs and the client had its own, and which database settings
// held for the run: the conditions a reader needs before comparing the figures.
import { parseCpuList } from '../common/option-parsers.js';
import type { VariantResult } from '../common/result.js';
import type { Column } from './columns.js';
import { MISSING } from './format.js';
import { markdownTable } from './markdown-table.js';
import type { DatabaseSettings, RunInfo } from './run-info.js';

/** Above this share of the client or the server CPUs used by something else, the summary says so. */
export const CLIENT_CPUS_OTHERS_NOTE_PERCENT = 5;

const BYTES_PER_MB = 1_000_000;

export function databaseSettingsText(s: DatabaseSettings): string {
  const where = { local: "this machine's own server", private: 'a private server the lab started', remote: 'a server elsewhere' }[s.where];
  const flush =
    s.innodbFlushLogAtTrxCommit === '1'
      ? 'innodb_flush_log_at_trx_commit=1 (an fsync per commit)'
      : s.innodbFlushLogAtTrxCommit === null
        ? 'innodb_flush_log_at_trx_commit unknown'
        : `innodb_flush_log_at_trx_commit=${s.innodbFlushLogAtTrxCommit} (no fsync per commit)`;
  const pool = s.innodbBufferPoolBytes === null ? 'buffer pool unknown' : `buffer pool ${Math.round(s.innodbBufferPoolBytes / BYTES_PER_MB)} MB`;
  const binlog = `log_bin ${s.logBin ?? 'unknown'}${s.logBin === 'ON' ? `, sync_binlog=${s.syncBinlog ?? '?'}` : ''}`;
  const changed = s.changedDuringRun?.length ? `; CHANGED during the run: ${s.changedDuringRun.join(', ')}` : '';
  return `${where}, ${s.version}: ${flush}, ${binlog}, ${pool}, max_connections ${s.maxConnections ?? 'unknown'}${changed}`;
}

type ClientCpusOthers = NonNullable<NonNullable<VariantResult['isolation']>['clientCpusOthers']>;

/** The lab's own part of the client CPUs' other work and the rest, where the lab's was measured. */
export function othersBreakdown(others: ClientCpusOthers): string {
  const lab = others.labSeconds ?? null;
  if (lab === null) return '';
  return `the lab's own process ${lab.toFixed(2)} s, other work ${Math.max(0, others.cpuSeconds - lab).toFixed(2)} s`;
}

type OtherProcesses = NonNullable<NonNullable<VariantResult['isolation']>['otherProcesses']>;

/**
 * "kdamond.0 0.23 s, ksoftirqd/0 0.05 s (CPU 0)": the processes outside the lab that used the most
 * CPU in the window; a CPU list only where a process was held to fewer CPUs than the run used.
 */
export function otherProcessesText(others: OtherProcesses, runCpus: readonly string[]): string {
  const all = new Set(runCpus.flatMap(cpuList));
  return others
    .map((p) => {
      const cpus = p.cpus === null ? [] : cpuList(p.cpus);
      const narrower = cpus.length > 0 && cpus.length < all.size && cpus.every((c) => all.has(c));
      return `${p.name} ${p.cpuSeconds.toFixed(2)} s${narrower ? ` (CPU ${p.cpus})` : ''}`;
    })
    .join(', ');
}

/** "0-2,4" → ["0", "1", "2", "4"]; nothing for a list that does not parse (a result from elsewhere). */
function cpuList(list: string): string[] {
  try {
    return parseCpuList('cpus', list, Number.MAX_SAFE_INTEGER).map(String);
  } catch {
    return [];
  }
}

function namedOthers(r: VariantResult): string {
  const iso = r.isolation;
  if (!iso?.otherProcesses?.length) return '';
  return otherProcessesText(
    iso.otherProcesses,
    [iso.serverCpus ?? '', iso.clientCpus ?? ''].filter((c) => c !== ''),
  );
}

/** "0.75 s (7.4%)": other work's seconds and its share of the CPUs' window. */
const secondsAndShare = (others: { cpuSeconds: number; percent: number }) => `${others.cpuSeconds.toFixed(2)} s (${others.percent}%)`;

function serverOthersText(r: VariantResult): string {
  const others = r.isolation?.serverCpusOthers;
  return others ? secondsAndShare(others) : MISSING;
}

function othersText(r: VariantResult): string {
  const others = r.isolation?.clientCpusOthers;
  if (!others) return MISSING;
  const parts = othersBreakdown(others);
  return `${secondsAndShare(others)}${parts ? `: ${parts}` : ''}`;
}

/** One row per variant measured with the CPUs pinned: where its sides ran and what else used their CPUs. */
export const isolationColumns: readonly Column<VariantResult>[] = [
  { header: 'variant', align: 'left', cell: (r) => r.variant },
  { header: 'server CPUs', align: 'left', cell: (r) => r.isolation!.serverCpus ?? MISSING },
  { header: 'server threads elsewhere', align: 'left', cell: (r) => (r.isolation!.strays.length === 0 ? 'none' : r.isolation!.strays.join(', ')) },
  { header: 'client CPUs', align: 'left', cell: (r) => r.isolation!.clientCpus ?? MISSING },
  { header: 'other work on the client CPUs', align: 'right', cell: othersText },
  { header: 'other work on the server CPUs', align: 'right', cell: serverOthersText },
  { header: 'busiest processes outside the lab', align: 'left', cell: (r) => namedOthers(r) || MISSING },
];

/** The text above the isolation table: how each figure is read. */
export const ISOLATION_HOW_TO_READ =
  'Every thread of the app, nginx and a database on this machine was checked in /proc to be allowed only on the server CPUs; ' +
  "other work on the client CPUs is their busy time during the window (its length less their idle time in /proc/stat) minus the client's own CPU, " +
  "split into the lab's own process (which keeps to the client CPUs while the clients run) and the rest (other processes, the kernel's own work). " +
  "Other work on the server CPUs is their busy time less the server side's own CPU (every thread of the app, nginx and the database, from /proc). " +
  'The busiest processes outside the lab are every process read in /proc at both ends of the window (with the short-lived commands they waited for), wherever each may run; a CPU list marks one held to fewer CPUs than the run used.';

export function isolationSection(run: RunInfo, results: readonly VariantResult[]): string[] {
  const settings = run.environment.databaseSettings;
  const withIsolation = results.filter((r) => r.isolation?.pinned);
  if (settings === undefined && withIsolation.length === 0) return [];
  return [
    '## Isolation and the database',
    ...(settings !== undefined ? [`Database for every variant: ${databaseSettingsText(settings)}.`] : []),
    ...(withIsolation.length > 0 ? [ISOLATION_HOW_TO_READ, markdownTable(isolationColumns, withIsolation)] : []),
  ];
}

/** The caveats a reader must see when something else shared the client's or the server's CPUs. */
export function isolationCaveats(results: readonly VariantResult[]): string[] {
  return results.flatMap((r) => {
    const others = r.isolation?.clientCpusOthers;
    const server = r.isolation?.serverCpusOthers;
    const named = namedOthers(r);
    const busiest = named ? `; outside the lab, the most CPU went to ${named}` : '';
    return [
      ...(others && others.percent > CLIENT_CPUS_OTHERS_NOTE_PERCENT
        ? [
            `${r.variant}: other work used ${others.percent}% of the client CPUs during the window (${others.cpuSeconds.toFixed(2)} s` +
              `${othersBreakdown(others) ? `: ${othersBreakdown(others)}` : ''})${busiest}.`,
          ]
        : []),
      ...(server && server.percent > CLIENT_CPUS_OTHERS_NOTE_PERCENT
        ? [
            `${r.variant}: other work used ${server.percent}% of the server CPUs during the window (${server.cpuSeconds.toFixed(2)} s), ` +
              `which the server side did not have${busiest}.`,
          ]
        : []),
    ];
  });
}
