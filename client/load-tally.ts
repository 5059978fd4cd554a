// Everything a run counts while it runs: plain counters and histograms, no allocation per request.
import { newTimeHistogram } from '../common/histogram.js';
import type { TimeHistogram } from '../common/histogram.js';
import type { ErrorClass } from './error-class.js';
import { errorOriginOf, type ErrorOrigin } from '../common/error-origin.js';
import type { StepName, TimelineSecond } from '../common/result.js';
import { ValueCounter } from './value-counter.js';

const US_PER_MS = 1_000;
const MS_PER_SECOND = 1_000;
const STATUS_CODES = 1_000;

export class LoadTally {
  /** Whole-user time of ok users, scheduled start to the end of the last step. */
  readonly userTime = newTimeHistogram();
  readonly stepTime: Readonly<Record<StepName, TimeHistogram>> = {
    get: newTimeHistogram(),
    post: newTimeHistogram(),
    redirect: newTimeHistogram(),
  };
  /** Per step from the actual send, as wrk2's uncorrected latency: no schedule, no waiting for a slot. */
  readonly serviceTime: Readonly<Record<StepName, TimeHistogram>> = {
    get: newTimeHistogram(),
    post: newTimeHistogram(),
    redirect: newTimeHistogram(),
  };
  readonly lateness = newTimeHistogram();
  /** Users never started because the in-flight cap was reached (--on-saturation drop); they count as failed. */
  dropped = 0;
  /** Users that started late because they waited for a free slot (--on-saturation wait). */
  waited = 0;
  peakInFlight = 0;

  started = 0;
  ok = 0;
  failed = 0;
  /** User failures by class. */
  readonly errors = new Map<ErrorClass, number>();
  /** User failures by where they failed. */
  readonly origins = new Map<ErrorOrigin, number>();

  requests = 0;
  private readonly statusCounts = new Uint32Array(STATUS_CODES);
  /** Requests that ended without a status, by class. */
  private readonly unansweredRequests = new Map<ErrorClass, number>();

  private readonly backendCounter = new ValueCounter();
  private readonly workerCounter = new ValueCounter();

  postsAccepted = 0;
  postsIndeterminate = 0;
  postsPushedOut = 0;
  readonly acceptedMarkers: string[] = [];

  private readonly arrivalsBySecond: number[] = [];
  private readonly completionsBySecond: number[] = [];
  private readonly errorsBySecond: number[] = [];
  /** The latest start in each second, µs after its schedule. */
  private readonly latenessMaxBySecond: number[] = [];

  /** @param originMs performance.now() of the first scheduled arrival, second 0 of the timeline. */
  constructor(private readonly originMs: number) {}

  userStarted(nowMs: number, scheduledMs: number): void {
    this.started++;
    const latenessUs = Math.round((nowMs - scheduledMs) * US_PER_MS);
    this.lateness.recordValue(latenessUs);
    const second = this.secondOf(nowMs);
    bump(this.arrivalsBySecond, second);
    if (latenessUs > (this.latenessMaxBySecond[second] ?? Number.NEGATIVE_INFINITY)) this.latenessMaxBySecond[second] = latenessUs;
  }

  stepDone(step: StepName, fromMs: number, sentMs: number, toMs: number): void {
    this.stepTime[step].recordValue(Math.round((toMs - fromMs) * US_PER_MS));
    this.serviceTime[step].recordValue(Math.round((toMs - sentMs) * US_PER_MS));
  }

  userOk(nowMs: number, scheduledMs: number): void {
    this.ok++;
    this.userTime.recordValue(Math.round((nowMs - scheduledMs) * US_PER_MS));
    bump(this.completionsBySecond, this.secondOf(nowMs));
  }

  userDropped(nowMs: number): void {
    this.dropped++;
    this.userFailed(nowMs, 'dropped', false);
  }

  /** `byApp`: the failing answer carried X-Backend, so the app gave it (not nginx). */
  userFailed(nowMs: number, errorClass: ErrorClass, byApp: boolean): void {
    this.failed++;
    this.errors.set(errorClass, (this.errors.get(errorClass) ?? 0) + 1);
    const origin = errorOriginOf(errorClass, byApp);
    this.origins.set(origin, (this.origins.get(origin) ?? 0) + 1);
    bump(this.errorsBySecond, this.secondOf(nowMs));
  }

  responseStatus(status: number): void {
    this.requests++;
    if (status >= 0 && status < STATUS_CODES) this.statusCounts[status]++;
  }

  requestUnanswered(errorClass: ErrorClass): void {
    this.requests++;
    this.unansweredRequests.set(errorClass, (this.unansweredRequests.get(errorClass) ?? 0) + 1);
  }

  /** An X-Backend value, as bytes of a response head. */
  backendSeen(buffer: Buffer, start: number, end: number): void {
    this.backendCounter.count(buffer, start, end);
  }

  /** An X-Worker value, as bytes of a response head. */
  workerSeen(buffer: Buffer, start: number, end: number): void {
    this.workerCounter.count(buffer, start, end);
  }

  /** X-Backend value -> responses. */
  get backends(): Map<string, number> {
    return this.backendCounter.toMap();
  }

  /** X-Worker value -> responses. */
  get workers(): Map<string, number> {
    return this.workerCounter.toMap();
  }

  postAccepted(marker: string): void {
    this.postsAccepted++;
    this.acceptedMarkers.push(marker);
  }

  byStatus(): Record<string, number> {
    const counts: Record<string, number> = {};
    this.statusCounts.forEach((count, status) => {
      if (count > 0) counts[String(status)] = count;
    });
    for (const [errorClass, count] of this.unansweredRequests) counts[errorClass] = count;
    return counts;
  }

  timeline(): TimelineSecond[] {
    const seconds = Math.max(this.arrivalsBySecond.length, this.completionsBySecond.length, this.errorsBySecond.length);
    const timeline: TimelineSecond[] = [];
    for (let second = 0; second < seconds; second++) {
      timeline.push({
        second,
        arrivals: this.arrivalsBySecond[second] ?? 0,
        completions: this.completionsBySecond[second] ?? 0,
        errors: this.errorsBySecond[second] ?? 0,
        ...(this.latenessMaxBySecond[second] === undefined ? {} : { latenessMaxMs: this.latenessMaxBySecond[second] / US_PER_MS }),
      });
    }
    return timeline;
  }

  private secondOf(nowMs: number): number {
    return Math.max(0, Math.floor((nowMs - this.originMs) / MS_PER_SECOND));
  }
}

function bump(countsBySecond: number[], second: number): void {
  // Fill the gap so the array stays dense (holes would make it a slow dictionary).
  while (countsBySecond.length <= second) countsBySecond.push(0);
  countsBySecond[second]++;
}
