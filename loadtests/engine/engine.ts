/**
 * The Node load engine ("autocannon" engine): an open-model scheduler that runs the
 * shared journeys over the lean keep-alive client and records into time buckets.
 *
 * How it avoids coordinated omission: arrivals follow the profile's schedule (the exact
 * arrival times from `arrivalClock`), not the answers. Every request's latency is measured
 * from its *intended* send time: the scheduled arrival for a journey's first request, the
 * end of the think time for later ones, the end of the back-off for a retry. Time a request
 * spends waiting for a free socket, or because the generator's timer fired late, therefore
 * counts as latency instead of silently lowering the load. When no virtual user is free
 * (`maxVUs` reached) the arrival is dropped and counted, as k6's arrival-rate executors do.
 */
import { routeGroupOf } from '../../service/catalog/slos.ts';
import { JOURNEYS, pickJourney, runHeaders, splitRoute, thinkTime, type IterationContext, type Journey, type RequestSpec, type Step, type VirtualUser } from '../shared/journeys.ts';
import { arrivalClock, type Profile } from '../shared/profiles.ts';
import { backoffMs, isRetryable, MAX_BACKOFF_MS, MAX_RETRIES } from '../shared/retry.ts';
import { createRng, deriveSeed, type Rng } from '../shared/rng.ts';
import { HttpClient, type HttpResponse } from './http-client.ts';
import { Recorder, type BucketReport } from './recorder.ts';

/** One answered (or failed) request, for callers that look at every response (fault experiments). */
export interface ResponseEvent {
  routeGroup: string;
  /** `METHOD /template`. */
  route: string;
  method: string;
  path: string;
  /** 0 on a network error. */
  status: number;
  headers: Record<string, string>;
  body: string;
  latencyMs: number;
  /** Epoch ms of the intended send time. */
  startedAt: number;
  idempotencyKey?: string;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
  /** The network error, when status is 0. */
  error?: string;
  journey: string;
  iteration: number;
}

export interface EngineSink {
  bucket(report: BucketReport): void;
  /** Only set when the caller wants every response: building the events costs time. */
  response?(event: ResponseEvent): void;
}

export interface EngineOptions {
  /** Origin of the service, e.g. `http://127.0.0.1:3000`. */
  target: string;
  profile: Profile;
  runId: string;
  seed: number;
  /** Epoch ms of the run's start (t = 0), shared by every engine thread so buckets line up. */
  t0: number;
  bucketMs: number;
  sink: EngineSink;
  journeys?: readonly Journey[];
  /** Sockets (default: the profile's maxVUs, at most 256). */
  connections?: number;
  /** This thread takes every `workerCount`-th arrival, starting at `workerIndex`. */
  workerIndex?: number;
  workerCount?: number;
  requestTimeoutMs?: number;
  /** Retries of a retryable request after 429, 503 or a network error (default 3). */
  maxRetries?: number;
  /** Cap on one back-off, whatever Retry-After says (default 5 s). */
  maxBackoffMs?: number;
  signal?: AbortSignal;
}

export interface EngineOutcome {
  aborted: boolean;
}

const now = (): number => performance.timeOrigin + performance.now();

export async function runEngine(options: EngineOptions): Promise<EngineOutcome> {
  const {
    target,
    profile,
    runId,
    seed,
    t0,
    bucketMs,
    sink,
    journeys = JOURNEYS,
    workerIndex = 0,
    workerCount = 1,
    requestTimeoutMs = 10_000,
    maxRetries = MAX_RETRIES,
    maxBackoffMs = MAX_BACKOFF_MS,
    signal,
  } = options;
  const connections = options.connections ?? Math.max(1, Math.min(256, Math.ceil(profile.maxVUs / workerCount)));
  const maxVUs = Math.max(1, Math.ceil(profile.maxVUs / workerCount));
  const client = new HttpClient({ origin: target, connections, timeoutMs: requestTimeoutMs, headers: { ...runHeaders(runId), accept: 'application/json' } });
  const recorder = new Recorder(t0, bucketMs, (report) => sink.bucket(report));
  // Route keys are few: parse each once.
  const routeInfo = new Map<string, { method: string; routeGroup: string }>();
  const infoOf = (route: string) => {
    let info = routeInfo.get(route);
    if (!info) {
      const { method, template } = splitRoute(route);
      info = { method, routeGroup: routeGroupOf(method, template) };
      routeInfo.set(route, info);
    }
    return info;
  };
  const wantResponses = sink.response !== undefined;

  const freeVUs: VirtualUser[] = [];
  let vuCount = 0;
  const newVU = (): VirtualUser => ({ id: workerIndex + workerCount * vuCount++ + 1 });
  for (let i = 0; i < Math.min(maxVUs, Math.ceil(profile.preAllocatedVUs / workerCount)); i++) freeVUs.push(newVU());

  let stopping = false;
  let active = 0;
  let settle: (() => void) | undefined;
  const sleepers = new Set<() => void>();

  /** Sleeps until an epoch-ms moment, or until the run is stopping. */
  const sleepUntil = (when: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopping) return resolve();
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, when - now()));
      sleepers.add(wake);
    });

  async function send(spec: RequestSpec, intended: number, ctx: IterationContext, journey: string): Promise<(HttpResponse & { at: number }) | undefined> {
    const { method, routeGroup } = infoOf(spec.route);
    const headers: Record<string, string> = spec.headers ? { ...spec.headers } : {};
    if (spec.token) headers.authorization = `Bearer ${spec.token}`;
    if (spec.idempotencyKey) headers['idempotency-key'] = spec.idempotencyKey;
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    let jitter: Rng | undefined;
    let startedAt = intended;
    for (let attempt = 1; ; attempt++) {
      const response: HttpResponse & { at?: number } = await client.request({ method, path: spec.path, headers, body });
      const end = performance.timeOrigin + response.receivedAt;
      // A request cut off because the run is stopping measured nothing about the service.
      if (stopping && response.status === 0) return undefined;
      const latencyMs = end - startedAt;
      recorder.response(end, routeGroup, spec.route, response.status, latencyMs);
      if (wantResponses) {
        sink.response!({
          routeGroup,
          route: spec.route,
          method,
          path: spec.path,
          status: response.status,
          headers: response.headers,
          body: response.body,
          latencyMs,
          startedAt,
          ...(spec.idempotencyKey ? { idempotencyKey: spec.idempotencyKey } : {}),
          attempt,
          ...(response.error ? { error: response.error } : {}),
          journey,
          iteration: ctx.iteration,
        });
      }
      if (!spec.retry || attempt > maxRetries || !isRetryable(response.status) || stopping) {
        response.at = end;
        return response as HttpResponse & { at: number };
      }
      jitter ??= createRng(deriveSeed(seed, ctx.iteration, 'retry'));
      const wait = backoffMs(attempt, response.headers['retry-after'], jitter.next(), maxBackoffMs);
      recorder.retry(end);
      startedAt = end + wait;
      await sleepUntil(startedAt);
      if (stopping) return undefined;
    }
  }

  async function runIteration(vu: VirtualUser, iteration: number, intendedStart: number): Promise<void> {
    const rng = createRng(deriveSeed(seed, iteration));
    const journey = pickJourney(rng, journeys);
    const ctx: IterationContext = { runId, iteration, vu, rng, vars: {} };
    const started = now();
    recorder.iterationStarted(started, journey.name, started - intendedStart);
    let intended = intendedStart;
    let first = true;
    let outcome: 'completed' | 'failed' | 'interrupted' = 'completed';
    let last = started;
    const steps = journey.steps;
    for (let index = 0; index < steps.length; index++) {
      const step = steps[index] as Step;
      const spec = step.request(ctx);
      if (!spec) continue;
      if (!first) {
        intended = now() + thinkTime(journey, rng, profile.thinkTimeScale);
        await sleepUntil(intended);
      }
      first = false;
      if (stopping) {
        outcome = 'interrupted';
        break;
      }
      const response = await send(spec, intended, ctx, journey.name);
      if (!response) {
        outcome = 'interrupted';
        break;
      }
      last = response.at;
      const passed = spec.expect.includes(response.status);
      recorder.check(response.at, step.name, passed);
      if (!passed) {
        outcome = 'failed';
        break;
      }
      if (step.after?.(ctx, response) === false) break;
    }
    recorder.iterationEnded(outcome === 'interrupted' ? now() : last, journey.name, outcome);
  }

  /** Starts an iteration on a free virtual user; false when none is free (the arrival is dropped). */
  function start(iteration: number, intendedStart: number): boolean {
    const vu = freeVUs.pop() ?? (vuCount < maxVUs ? newVU() : undefined);
    if (!vu) return false;
    active++;
    void runIteration(vu, iteration, intendedStart).finally(() => {
      freeVUs.push(vu);
      active--;
      if (active === 0) settle?.();
      // A freed virtual user takes an arrival that is already due at once, the way a
      // closed-loop generator sends its next request from the answer's callback.
      if (due !== undefined && due <= now() - t0) pump();
    });
    return true;
  }

  const ticker = setInterval(() => recorder.tick(now()), Math.max(50, bucketMs / 4));

  function stop(): void {
    if (stopping) return;
    stopping = true;
    for (const wake of [...sleepers]) wake();
    client.close();
  }
  const onAbort = () => stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) stop();

  // The schedule: start every arrival that is due, then sleep until the next one is. Timers
  // have a resolution of about a millisecond; the lateness counts as latency (and as
  // schedule lag). Answers also pump the schedule, so under heavy load a virtual user never
  // waits for a timer. Nothing spins: an idle generator leaves the core to the service.
  const next = arrivalClock(profile);
  let arrival = 0;
  let due = next();
  let wake: NodeJS.Timeout | undefined;
  let scheduleDone!: () => void;
  const scheduled = new Promise<void>((resolve) => (scheduleDone = resolve));
  function pump(): void {
    if (wake) clearTimeout(wake);
    wake = undefined;
    if (stopping || due === undefined) return scheduleDone();
    const time = now();
    const elapsed = time - t0;
    let dropped = 0;
    while (due !== undefined && due <= elapsed) {
      if (arrival % workerCount === workerIndex && !start(arrival, t0 + due)) dropped++;
      arrival++;
      due = next();
    }
    if (dropped > 0) recorder.dropped(time, dropped);
    if (due === undefined) return scheduleDone();
    wake = setTimeout(pump, Math.min(50, Math.max(1, due - elapsed)));
  }
  pump();
  await scheduled;
  if (wake) clearTimeout(wake);

  // Graceful stop: let running journeys finish, up to the profile's limit.
  if (active > 0 && !stopping) {
    await new Promise<void>((resolve) => {
      settle = resolve;
      const limit = setTimeout(resolve, profile.gracefulStopS * 1000);
      signal?.addEventListener('abort', () => resolve(), { once: true });
      const original = settle;
      settle = () => {
        clearTimeout(limit);
        original();
      };
    });
  }
  stop();
  if (active > 0) await new Promise<void>((resolve) => (settle = resolve));
  clearInterval(ticker);
  signal?.removeEventListener('abort', onAbort);
  recorder.flush();
  return { aborted: signal?.aborted ?? false };
}
