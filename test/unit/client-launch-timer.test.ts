import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backstopDelayMs, LaunchTimer, PRECISE_MIN_WAIT_MS, startLaunchThread, usesThread, wakerThreadsStarted } from '../../client/launch-timer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("the backstop timer's delay is whole milliseconds, rounded up, at least one", () => {
  assert.equal(backstopDelayMs(-3), 1);
  assert.equal(backstopDelayMs(0), 1);
  assert.equal(backstopDelayMs(0.2), 1);
  assert.equal(backstopDelayMs(1), 1);
  assert.equal(backstopDelayMs(1.01), 2);
  assert.equal(backstopDelayMs(19.5), 20);
});

test('only waits long enough to leave the loop idle are slept by the helper thread', () => {
  assert.equal(usesThread(25), true, '40 users/s');
  assert.equal(usesThread(PRECISE_MIN_WAIT_MS), true);
  assert.equal(usesThread(1), false, '1000 users/s: setTimeout alone');
  assert.equal(usesThread(0), false);
  assert.equal(usesThread(-1), false);
});

for (const precise of [true, false]) {
  const kind = precise ? 'with its helper thread' : 'on setTimeout alone';
  test(`the launch timer ${kind} fires for its latest arming, not after a cancel, and never after close`, async () => {
    let fired = 0;
    const timer = new LaunchTimer(() => fired++, precise);
    try {
      // The thread may still be starting: the backstop fires then.
      timer.at(performance.now() + 5);
      await sleep(60);
      assert.equal(fired, 1);

      // A later arming replaces an earlier one: one call, not two.
      timer.at(performance.now() + 2);
      timer.at(performance.now() + 4);
      await sleep(60);
      assert.equal(fired, 2);

      // A due time already past fires too.
      timer.at(performance.now() - 1);
      await sleep(30);
      assert.equal(fired, 3);

      timer.at(performance.now() + 5);
      timer.cancel();
      await sleep(60);
      assert.equal(fired, 3, 'a cancelled arming does not fire');

      timer.at(performance.now() + 5);
      timer.close();
      await sleep(60);
      assert.equal(fired, 3, 'a closed timer does not fire');
      timer.at(performance.now() + 1);
      await sleep(30);
      assert.equal(fired, 3, 'nor can it be armed again');
    } finally {
      timer.close();
    }
  });
}

test("a closed timer's helper thread serves the next timer on the loop: a measured run after its warm-up starts none", async () => {
  const first = new LaunchTimer(() => {});
  first.close();
  const started = wakerThreadsStarted();
  let fired = 0;
  const second = new LaunchTimer(() => fired++);
  try {
    assert.equal(wakerThreadsStarted(), started, 'the idle thread was taken, none started');
    // Two timers at once cannot share one thread: the second in use gets its own.
    const third = new LaunchTimer(() => {});
    assert.equal(wakerThreadsStarted(), started + 1);
    third.close();
    await sleep(100);
    // The kept thread, woken for a wait long enough to be slept by it, fires this timer once.
    second.at(performance.now() + PRECISE_MIN_WAIT_MS + 3);
    await sleep(60);
    assert.equal(fired, 1);
    second.at(performance.now() + PRECISE_MIN_WAIT_MS + 1);
    await sleep(60);
    assert.equal(fired, 2);
  } finally {
    second.close();
  }
});

for (const precise of [true, false]) {
  const kind = precise ? 'with its helper thread' : 'on setTimeout alone';
  test(`the launch timer ${kind} never fires early, though armed late in a busy turn of the loop`, async () => {
    const firedAt: number[] = [];
    const timer = new LaunchTimer(() => firedAt.push(performance.now()), precise);
    try {
      await sleep(60);
      for (const aheadMs of [3, 0.5]) {
        // A turn busy for 5 ms: Node counts the timeout from the turn's start, so it comes due 5 ms early.
        const busyUntil = performance.now() + 5;
        while (performance.now() < busyUntil);
        const dueMs = performance.now() + aheadMs;
        timer.at(dueMs);
        await sleep(30);
        assert.equal(firedAt.length, 1, 'fired once');
        assert.ok(firedAt[0]! >= dueMs, `fired ${(dueMs - firedAt[0]!).toFixed(2)} ms early`);
        firedAt.length = 0;
      }
    } finally {
      timer.close();
    }
  });
}

test('a launch thread started ahead is the one the next timer takes', () => {
  startLaunchThread();
  const started = wakerThreadsStarted();
  startLaunchThread();
  assert.equal(wakerThreadsStarted(), started, 'one idle thread is enough');
  const timer = new LaunchTimer(() => {});
  assert.equal(wakerThreadsStarted(), started, 'the timer took the thread started ahead');
  timer.close();
});
