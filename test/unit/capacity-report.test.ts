import { integrityOf } from '../../common/integrity.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { judgeStep } from '../../lab/capacity/step.js';
import { stepLogLine, withLeadIn } from '../../lab/capacity/variant.js';
import { parseSlo } from '../../common/slo.js';
import { readResultsDir } from '../../lab/results-dir.js';
import { capacityResultFiles } from '../../lab/capacity/results.js';
import {
  CAPACITY_FILE,
  capacityStep,
  firstFailingStep,
  representativeStep,
  type CapacityReport,
  type CapacityStep,
  type VariantCapacity,
} from '../../report/capacity-result.js';
import { capacitySection, capacityTable, formatCapacity } from '../../report/capacity-section.js';
import { capacityCharts, doublingTicks, measuredRates, sloLimit } from '../../report/capacity-chart.js';
import { summaryMarkdown } from '../../report/summary-markdown.js';
import { reportHtml } from '../../report/report-html.js';
import { runInfoFixture, variantResultFixture } from '../support/variant-result-fixture.js';

const ESC = '\x1b';

function step(rate: number, pass: boolean, overrides: Partial<CapacityStep> = {}): CapacityStep {
  return {
    rate,
    users: rate * 5,
    usersPerSecond: pass ? rate - 0.5 : rate * 0.6,
    p50Ms: pass ? 12.5 : 900,
    p99Ms: pass ? 80 : 2826.2,
    errorsPercent: pass ? 0 : 3.5,
    integrityOk: true,
    clientSaturated: false,
    pass,
    broken: pass ? [] : ['p99 2826.2 ms'],
    file: `v.${rate}.json`,
    ...overrides,
  };
}

function variant(name: string, steps: CapacityStep[], searchEnd: VariantCapacity['searchEnd'] = 'converged'): VariantCapacity {
  const passed = steps.filter((s) => s.pass).map((s) => s.rate);
  return {
    variant: name,
    capacity: passed.length > 0 ? Math.max(...passed) : null,
    searchEnd,
    steps: steps.map((s) => ({ ...s, file: `${name}.${s.rate}.json` })),
  };
}

const REPORT: CapacityReport = {
  slo: 'errors<1%,p99<1s',
  startRate: 50,
  maxRate: 3200,
  stepSeconds: 5,
  maxSteps: 8,
  confirmations: 2,
  variants: [
    variant('prefork', [
      step(50, true),
      step(100, true),
      step(200, true),
      step(400, false),
      step(300, true),
      step(350, true),
      step(375, false, { broken: ['errors 3.5% (66 of 1875 users)', 'p99 2826.2 ms'], clientSaturated: true }),
    ]),
    variant('threaded', [step(50, true), step(100, true), step(200, false), step(150, true), step(175, true)], 'steps'),
    variant('fastcgi', [step(50, false), step(25, false), step(12, false)], 'min-rate'),
    variant('single', [step(50, true), step(100, true)], 'max-rate'),
    { variant: 'odd', capacity: null, searchEnd: 'not-measured', steps: [], notMeasured: 'failed verification: post-302' },
  ],
};

describe('a step judged against the SLO', () => {
  const slo = parseSlo('errors<1%,p99<1s');

  test('the figures capacity.json keeps, and a pass', () => {
    const result = variantResultFixture({ variant: 'prefork', users: 400, medianMs: 40, durationSeconds: 4 });
    const judged = judgeStep(result, 100, slo, 'prefork.100.json');
    assert.equal(judged.rate, 100);
    assert.equal(judged.users, 400);
    assert.equal(judged.usersPerSecond, 100);
    assert.equal(judged.p50Ms, Math.round(result.sessionTimeUs.p50 / 10) / 100);
    assert.equal(judged.p99Ms, Math.round(result.sessionTimeUs.p99 / 10) / 100);
    assert.equal(judged.errorsPercent, 0);
    assert.equal(judged.pass, true);
    assert.deepEqual(judged.broken, []);
    assert.equal(judged.file, 'prefork.100.json');
  });

  test('a lost write fails the step whatever the SLO says; an unaudited one does not', () => {
    const lost = judgeStep(variantResultFixture({ integrityOk: false }), 100, slo, 'f');
    assert.equal(lost.pass, false);
    assert.deepEqual(lost.broken, ['integrity (2 missing)']);
    const unaudited = variantResultFixture({ integrityOk: false });
    unaudited.integrity = integrityOf(unaudited.posts, 0, undefined);
    assert.equal(judgeStep(unaudited, 100, slo, 'f').pass, true);
  });

  test('the lead-in is recorded, not judged: a step after one that queued is judged as a run after such a warm-up', () => {
    const result = variantResultFixture({ variant: 'fastcgi', users: 400, medianMs: 40, durationSeconds: 4 });
    const queued = judgeStep(result, 100, slo, 'f', { seconds: 3.2, keptWarm: false, queued: 140 });
    assert.equal(queued.pass, true);
    assert.deepEqual(queued.broken, []);
    assert.deepEqual(queued.leadIn, { seconds: 3.2, keptWarm: false, queued: 140 });
    assert.match(
      stepLogLine('fastcgi', queued),
      /^fastcgi: 100 users\/s held the SLO: served 100\.0 users\/s, p99 [\d.]+ ms, errors 0% \(after a lead-in that queued: 140 users in flight\)$/,
    );
    const kept = judgeStep(result, 100, slo, 'f', { seconds: 4.1, keptWarm: true });
    assert.equal(kept.pass, true);
    assert.deepEqual(kept.leadIn, { seconds: 4.1, keptWarm: true });
    const unsettled = judgeStep(result, 100, slo, 'f', { seconds: 10, keptWarm: false });
    assert.equal(unsettled.pass, true, 'a lead-in whose costs did not agree, without a queue, is no break');
    assert.equal('leadIn' in judgeStep(result, 100, slo, 'f'), false);
  });

  test("a step's warm-up record is the one warm-up's rounds with its own lead-in's seconds, at its rate", () => {
    const rounds = [{ users: 200, failed: 0, cpuMsPerUser: 2.1, rate: 200 }];
    const warmUp = { rate: 200, rounds, slices: [{ users: 200, failed: 0, cpuMsPerUser: 1.9, inFlight: 2 }], steady: true, seconds: 9.5 };
    const lead = { rate: 350, rounds: [], slices: [{ users: 350, failed: 0, cpuMsPerUser: 1.7, inFlight: 3 }], steady: false, seconds: 4.25 };
    assert.deepEqual(withLeadIn(warmUp, lead), { rate: 350, rounds, slices: lead.slices, steady: false, seconds: 13.75 });
    assert.equal(withLeadIn(warmUp, undefined), warmUp);
  });

  test('errors and a saturated client are recorded', () => {
    const result = { ...variantResultFixture({ users: 200, errors: { timeout: 4 } }), validity: { valid: false, reasons: ['late'] } };
    const judged = judgeStep(result, 40, slo, 'f');
    assert.equal(judged.errorsPercent, 2);
    assert.equal(judged.clientSaturated, true);
    assert.deepEqual(judged.broken, ['errors 2% (4 of 200 users)']);
  });

  test('the log line says held or broke, with the figures', () => {
    assert.equal(stepLogLine('prefork', step(200, true)), 'prefork: 200 users/s held the SLO: served 199.5 users/s, p99 80.0 ms, errors 0%');
    assert.equal(
      stepLogLine('prefork', step(400, false, { clientSaturated: true })),
      'prefork: 400 users/s broke the SLO: p99 2826.2 ms; served 240.0 users/s (client saturated)',
    );
  });
});

describe("reading a variant's search", () => {
  test('the step at the capacity, the first failing rate above it, and the step that stands for the variant', () => {
    const [prefork, threaded, fastcgi, single, odd] = REPORT.variants as [VariantCapacity, VariantCapacity, VariantCapacity, VariantCapacity, VariantCapacity];
    assert.equal(capacityStep(prefork)?.rate, 350);
    assert.equal(firstFailingStep(prefork)?.rate, 375);
    assert.equal(firstFailingStep(threaded)?.rate, 200);
    assert.equal(capacityStep(fastcgi), null);
    assert.equal(firstFailingStep(fastcgi)?.rate, 12);
    assert.equal(representativeStep(fastcgi)?.rate, 12);
    assert.equal(firstFailingStep(single), null);
    assert.equal(representativeStep(odd), null);
    assert.deepEqual(capacityResultFiles(REPORT), ['prefork.350.json', 'threaded.175.json', 'fastcgi.12.json', 'single.100.json']);
  });

  test('the capacity as a cell', () => {
    assert.deepEqual(REPORT.variants.map(formatCapacity), ['350', '175 (steps ran out)', 'none', '≥ 100', 'not measured']);
  });
});

describe('the capacity section of summary.md', () => {
  const section = capacitySection(REPORT).join('\n\n');

  test('a capacity.json from before --confirm claims no number of measurements', () => {
    const { confirmations: _omitted, ...older } = REPORT;
    const line = capacitySection(older).join('\n\n');
    assert.match(line, /at most 8 steps per variant\. Capacity is/);
    assert.doesNotMatch(line, /rate found measured/);
  });

  test('a row per variant: capacity, its figures, and the first failing rate with what broke', () => {
    assert.match(
      section,
      /^## Capacity\n\nSLO: `errors<1%,p99<1s`; rates from 50 users\/s up to 3200, 5 s per step, at most 8 steps per variant, the rate found measured 3 times\./,
    );
    assert.ok(section.includes('| variant | capacity users/s | served users/s | p99 ms | errors | first failing users/s | what broke |'));
    assert.ok(section.includes('| prefork | 350 | 349.5 | 80.0 | 0% | 375 | errors 3.5% (66 of 1875 users), p99 2826.2 ms (client saturated) |'), section);
    assert.ok(section.includes('| threaded | 175 (steps ran out) | 174.5 | 80.0 | 0% | 200 | p99 2826.2 ms |'));
    assert.ok(section.includes('| fastcgi | none | – | – | – | 12 | p99 2826.2 ms |'));
    assert.ok(section.includes('| single | ≥ 100 | 99.5 | 80.0 | 0% | – | none up to --max-rate |'));
    assert.ok(section.includes('| odd | not measured | – | – | – | – | failed verification: post-302 |'));
  });

  test('then every step in the order measured', () => {
    const rows = section.split('### Capacity steps, in the order measured')[1]!.trim().split('\n').slice(2);
    assert.equal(rows.length, 7 + 5 + 3 + 2);
    assert.deepEqual(
      rows.slice(0, 7).map((r) => Number(r.split('|')[2])),
      [50, 100, 200, 400, 300, 350, 375],
    );
    assert.equal(rows[3], '| prefork | 400 | 240.0 | 900 | 2826 | 3.5% | FAIL: p99 2826.2 ms |');
    assert.equal(rows[0], '| prefork | 50 | 49.5 | 12.5 | 80.0 | 0% | pass |');
  });

  test('summary.md carries it after "How to read this" only for a capacity run', () => {
    const results = [variantResultFixture({ variant: 'prefork' })];
    const run = runInfoFixture(['prefork']);
    const md = summaryMarkdown(run, results, REPORT);
    assert.ok(md.indexOf('## How to read this') < md.indexOf('## Capacity'));
    assert.ok(md.indexOf('## Capacity') < md.indexOf('## Per variant, in the original format'));
    assert.ok(!summaryMarkdown(run, results).includes('## Capacity'));
  });
});

describe('the capacity table on the terminal', () => {
  test('plain text when not a terminal', () => {
    const table = capacityTable(REPORT, { color: false });
    assert.ok(!table.includes(ESC));
    const lines = table.trimEnd().split('\n');
    assert.equal(lines[0], 'SLO errors<1%,p99<1s');
    assert.match(lines[1]!, /^variant\s+capacity\/s\s+served\/s\s+p99 ms\s+errors\s+fails at\/s\s+what broke$/);
    assert.match(lines[2]!, /^prefork\s+350\s+349\.5\s+80\.0\s+0%\s+375\s+errors 3\.5% \(66 of 1875 users\), p99 2826\.2 ms \(client saturated\)$/);
    assert.match(lines[4]!, /^fastcgi\s+none\s+–\s+–\s+–\s+12\s+p99 2826\.2 ms$/);
    assert.equal(new Set(lines.slice(1).map((l) => l.indexOf('  ') >= 0)).size, 1);
    assert.ok(
      lines.every((l) => l === l.trimEnd()),
      'no trailing spaces',
    );
  });

  test('on a terminal: the header bold, the highest capacity green, none red, alignment kept', () => {
    const coloured = capacityTable(REPORT, { color: true });
    assert.ok(coloured.includes(`${ESC}[32m350${ESC}[0m`));
    assert.ok(coloured.includes(`${ESC}[31mnone${ESC}[0m`));
    assert.ok(coloured.includes(`${ESC}[1mvariant${ESC}[0m`));
    assert.equal(coloured.replace(/\x1b\[\d+m/g, ''), capacityTable(REPORT, { color: false }));
  });
});

describe('the capacity charts of report.html', () => {
  test('p99 and errors against every measured rate, a line per measured variant, the SLO dashed', () => {
    const [p99, errors] = capacityCharts(REPORT);
    assert.deepEqual(measuredRates(REPORT), [12, 25, 50, 100, 150, 175, 200, 300, 350, 375, 400]);
    assert.equal(p99!.kind, 'rate');
    assert.deepEqual(p99!.x, measuredRates(REPORT));
    assert.deepEqual(
      p99!.series.map((s) => s.label),
      ['prefork', 'threaded', 'fastcgi', 'single', 'SLO limit'],
    );
    assert.deepEqual(p99!.series[1]!.values, [null, null, 80, 80, 80, 80, 2826.2, null, null, null, null]);
    assert.deepEqual(errors!.series[2]!.values.slice(0, 3), [3.5, 3.5, 3.5]);
    assert.deepEqual(p99!.series[4], { label: 'SLO limit', values: p99!.x.map(() => 1000), dashed: true, colorIndex: 7 });
    assert.ok(errors!.series[4]!.values.every((v) => v === 1));
    assert.deepEqual(
      p99!.series.slice(0, 4).map((s) => s.colorIndex),
      [0, 1, 2, 3],
    );
  });

  test('axis labels on the doubling grid, the SLO limits from its text', () => {
    assert.deepEqual(doublingTicks(REPORT, measuredRates(REPORT)), [12, 50, 100, 200, 400]);
    assert.deepEqual(doublingTicks({ ...REPORT, startRate: 20 }, [20, 40, 80]), [20, 40, 80]);
    assert.equal(sloLimit('errors<1%,p99<1s', 'p99'), 1000);
    assert.equal(sloLimit('p99<250ms,errors<0.5%', 'errors'), 0.5);
    assert.equal(sloLimit('p99<250ms', 'p99'), 250);
    assert.equal(sloLimit('p90<250ms', 'p99'), undefined);
  });

  test('report.html has the section and both charts only for a capacity run', () => {
    const results = [variantResultFixture({ variant: 'prefork' })];
    const run = runInfoFixture(['prefork']);
    const html = reportHtml(run, results, REPORT);
    assert.ok(html.includes('<h2>Capacity</h2>'));
    assert.ok(html.includes('data-chart="capacity-p99"') && html.includes('data-chart="capacity-errors"'));
    assert.ok(!reportHtml(run, results).includes('capacity-p99'));
  });
});

describe("a capacity run's folder read back", () => {
  test("each variant by its step at the capacity, in capacity.json's order, with capacity.json itself", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-capacity-dir-'));
    try {
      const report: CapacityReport = { ...REPORT, variants: [REPORT.variants[1]!, REPORT.variants[0]!] };
      for (const v of report.variants) {
        for (const s of v.steps) fs.writeFileSync(path.join(dir, s.file), JSON.stringify(variantResultFixture({ variant: v.variant, users: s.users })));
      }
      fs.writeFileSync(path.join(dir, CAPACITY_FILE), JSON.stringify(report));
      const read = readResultsDir(dir);
      assert.deepEqual(
        read.results.map((r) => [r.variant, r.users.scheduled]),
        [
          ['threaded', 875],
          ['prefork', 1750],
        ],
      );
      assert.deepEqual(read.capacity, report);
      fs.writeFileSync(path.join(dir, CAPACITY_FILE), '{"slo": 1}');
      assert.throws(() => readResultsDir(dir), /capacity\.json is not a capacity report/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
