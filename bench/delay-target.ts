// A scenario target with a known answer time, for the accuracy benches: every request waits
// DELAY_MS; from STALL_AT_MS after start, for STALL_MS, answers are held until the stall ends.
// Prints its URL on stdout, then serves until SIGTERM.
import { startScenarioStub } from '../test/support/scenario-stub.js';

const delayMs = Number(process.env['DELAY_MS'] ?? 0);
const stallAtMs = Number(process.env['STALL_AT_MS'] ?? -1);
const stallMs = Number(process.env['STALL_MS'] ?? 0);
const startedMs = performance.now();

/** The wait for a request arriving now: the fixed delay, or until the stall ends. */
function waitMs(): number {
  const now = performance.now() - startedMs;
  const inStall = stallAtMs >= 0 && now >= stallAtMs && now < stallAtMs + stallMs;
  return inStall ? stallAtMs + stallMs - now + delayMs : delayMs;
}

const stub = await startScenarioStub({ getDelayMs: waitMs, postDelayMs: waitMs, backend: 'delay-target' });
process.stdout.write(`${stub.url}\n`);
process.once('SIGTERM', () => void stub.close().then(() => process.exit(0)));
