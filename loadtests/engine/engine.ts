/**
 * The Node load engine ("autocannon" engine): an open-model scheduler that runs the
 * shared journeys over the lean keep-alive client and records into time buckets.
 *
 * How it avoids coordinated omission: arrivals follow the profile's schedule (the exact
 * arrival times from `arrivalClock`, on the millisecond grid of schedule.ts), not the
 * answers. Every request's latency is measured from its *intended* send time: the
 * scheduled arrival's grid point for a journey's first request, the end of the think time
 * for later ones, the end of the back-off for a retry. Time a request spends waiting for a
 * free socket, or because the generator's timer fired late, therefore counts as latency
 * instead of silently lowering the load. When no virtual user is free
 * (`maxVUs` reached) the arrival is dropped and counted, as k6's arrival-rate executors do.
 */
import { routeGroupOf } from '../../service/catalog/index.ts';
import {
  ExemplarPicker,
  ExemplarReasons,
  isFailedAnswer,
  type Exemplar,
  type ExemplarBatch,
} from '../shared/exemplars.ts';
import {
  JOURNEYS,
  pickJourney,
  runHeaders,
  splitRoute,
  thinkTime,
  type IterationContext,
  type Journey,
  type RequestSpec,
  type Step,
  type VirtualUser,
} from '../shared/journeys.ts';
import type { Profile } from '../shared/profiles.ts';
import { createRetryPolicy, MAX_BACKOFF_MS, MAX_RETRIES, type RetryPolicy } from '../shared/retry.ts';
import { createRng, deriveSeed, type Rng } from '../shared/rng.ts';
import type { TokenPool } from '../shared/tokens.ts';
import { traceparent, type TraceIdGenerator } from '../shared/trace-context.ts';
import { HttpClient, type HttpRequest, type HttpResponse } from './http-client.ts';
import { Recorder, type BucketReport } from './recorder.ts';
import { ArrivalSchedule } from './schedule.ts';
import { createTraceIds, detach } from './trace-ids.ts';

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
  /** The `traceparent` ids this attempt carried (absent when the engine sends no trace context). */
  traceId?: string;
  spanId?: string;
  /** The network error, when status is 0. */
  error?: string;
  journey: string;
  iteration: number;
}

export interface EngineSink {
  bucket(report: BucketReport): void;
  /** Only set when the caller wants every response: building the events costs time. */
  response?(event: ResponseEvent): void;
  /** The exemplars this thread picked since the last call (about every 100 ms, and at the end). */
  exemplars?(batch: ExemplarBatch): void;
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
  /** Pre-issued customer and barista tokens, instead of registering and the dev issuer. */
  tokens?: TokenPool;
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
  /**
   * Send a W3C `traceparent` with a fresh trace id on every request and pick exemplars
   * (default true; false only to measure what it costs).
   */
  traceContext?: boolean;
  signal?: AbortSignal;
}

export interface EngineOutcome {
  aborted: boolean;
}

const now = (): number => performance.timeOrigin + performance.now();

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

type Outcome = 'completed' | 'failed' | 'interrupted';

/** What every iteration of one engine shares. */
interface EngineState {
  readonly client: HttpClient;
  readonly recorder: Recorder;
  readonly sink: EngineSink;
  readonly wantResponses: boolean;
  readonly profile: Profile;
  readonly journeys: readonly Journey[];
  readonly runId: string;
  readonly seed: number;
  readonly tokens: TokenPool | undefined;
  readonly retry: RetryPolicy;
  readonly routeInfo: Map<string, { method: string; routeGroup: string }>;
  /** Trace ids, when the engine sends trace context. */
  readonly ids: TraceIdGenerator | undefined;
  /** This thread's exemplar choice, when the sink takes exemplars. */
  readonly exemplars: ExemplarPicker | undefined;
  /** Iterations waiting in a think time or a back-off, woken early when the run stops. */
  readonly sleeping: Set<Iteration>;
  stopping: boolean;
  /** Called when an iteration ends, with its virtual user. */
  release(vu: VirtualUser): void;
}

function routeInfoOf(state: EngineState, route: string): { method: string; routeGroup: string } {
  let info = state.routeInfo.get(route);
  if (!info) {
    const { method, template } = splitRoute(route);
    info = { method, routeGroup: routeGroupOf(method, template) };
    state.routeInfo.set(route, info);
  }
  return info;
}

/**
 * One journey run by one virtual user, as a small state machine driven by callbacks (the
 * client's answers and timers) rather than async functions: at tens of thousands of
 * requests per second, promises and closures per request cost more than the request.
 */
class Iteration {
  private readonly ctx: IterationContext;
  private readonly journey: Journey;
  private index = 0;
  private first = true;
  /** Intended send time (epoch ms) of the current request. */
  private intended: number;
  private spec: RequestSpec | undefined;
  private request: HttpRequest | undefined;
  private info: { method: string; routeGroup: string } | undefined;
  private attempt = 1;
  private jitter: Rng | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** What to do when the current sleep ends. */
  private resume: 'send' | 'resend' | undefined;
  /** The current step's trace id; each attempt (a retry too) has a span id of its own in the same trace. */
  private traceId = '';
  private spanId = '';

  constructor(
    private readonly state: EngineState,
    private readonly vu: VirtualUser,
    iteration: number,
    intendedStart: number,
  ) {
    const rng = createRng(deriveSeed(state.seed, iteration));
    this.journey = pickJourney(rng, state.journeys);
    this.ctx = { runId: state.runId, iteration, vu, rng, vars: {}, ...(state.tokens ? { tokens: state.tokens } : {}) };
    this.intended = intendedStart;
    const started = now();
    state.recorder.iterationStarted(started, this.journey.name, started - intendedStart);
    this.nextStep();
  }

  /** Runs the next step that has a request, after the think time; ends the journey after the last. */
  private nextStep(): void {
    const steps = this.journey.steps;
    while (this.index < steps.length) {
      const spec = (steps[this.index] as Step).request(this.ctx);
      if (!spec) {
        this.index++;
        continue;
      }
      this.spec = spec;
      if (this.first) {
        this.first = false;
        this.sendStep();
      } else {
        this.intended = now() + thinkTime(this.journey, this.ctx.rng, this.state.profile.thinkTimeScale);
        this.sleepUntil(this.intended, 'send');
      }
      return;
    }
    this.end('completed');
  }

  private sendStep(): void {
    if (this.state.stopping) return this.end('interrupted');
    const spec = this.spec as RequestSpec;
    this.info = routeInfoOf(this.state, spec.route);
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    let headers = NO_HEADERS;
    if (spec.headers || spec.token || spec.idempotencyKey || body !== undefined) {
      const h: Record<string, string> = { ...spec.headers };
      if (spec.token) h.authorization = `Bearer ${spec.token}`;
      if (spec.idempotencyKey) h['idempotency-key'] = spec.idempotencyKey;
      if (body !== undefined) h['content-type'] = 'application/json';
      headers = h;
    }
    this.request = { method: this.info.method, path: spec.path, headers, body };
    this.attempt = 1;
    this.sendNow();
  }

  private sendNow(): void {
    // Timers fire on a millisecond clock, sometimes a fraction early: a request sent
    // before its intended time is measured from when it really went out.
    const sentAt = now();
    if (sentAt < this.intended) this.intended = sentAt;
    const { ids } = this.state;
    if (ids) {
      // One draw per attempt: the first takes its trace id too, a retry only a span id.
      const drawn = ids.next();
      if (this.attempt === 1) this.traceId = drawn.slice(0, 32);
      this.spanId = drawn.slice(32);
      (this.request as HttpRequest).traceparent = traceparent(this.traceId, this.spanId);
    }
    this.state.client.send(this.request as HttpRequest, answered, this);
  }

  private resend(): void {
    if (this.state.stopping) return this.end('interrupted');
    this.attempt++;
    this.sendNow();
  }

  answered(response: HttpResponse): void {
    const { state } = this;
    // A request cut off because the run is stopping measured nothing about the service.
    if (state.stopping && response.status === 0) return this.end('interrupted');
    const spec = this.spec as RequestSpec;
    const { method, routeGroup } = this.info!;
    const end = performance.timeOrigin + response.receivedAt;
    const latencyMs = end - this.intended;
    state.recorder.response(end, routeGroup, spec.route, response.status, latencyMs);
    const picker = state.exemplars;
    if (picker) {
      const failed = isFailedAnswer(response.status, spec.expect);
      if (picker.wants(routeGroup, end, latencyMs, failed))
        picker.add(this.exemplar(picker, response, end, latencyMs, failed));
    }
    if (state.wantResponses) {
      state.sink.response!({
        routeGroup,
        route: spec.route,
        method,
        path: spec.path,
        status: response.status,
        headers: response.headers,
        body: response.body,
        latencyMs,
        startedAt: this.intended,
        ...(spec.idempotencyKey ? { idempotencyKey: spec.idempotencyKey } : {}),
        attempt: this.attempt,
        ...(state.ids ? { traceId: this.traceId, spanId: this.spanId } : {}),
        ...(response.error ? { error: response.error } : {}),
        journey: this.journey.name,
        iteration: this.ctx.iteration,
      });
    }
    if (spec.retry && state.retry.shouldRetry(this.attempt, response.status) && !state.stopping) {
      this.jitter ??= createRng(deriveSeed(state.seed, this.ctx.iteration, 'retry'));
      const wait = state.retry.backoffMs(this.attempt, response.headers['retry-after'], this.jitter.next());
      state.recorder.retry(end);
      this.intended = end + wait;
      return this.sleepUntil(this.intended, 'resend');
    }
    const step = this.journey.steps[this.index] as Step;
    const passed = spec.expect.includes(response.status);
    state.recorder.check(end, step.name, passed);
    if (!passed) return this.end('failed', end);
    if (step.after?.(this.ctx, response) === false) return this.end('completed', end);
    this.index++;
    this.nextStep();
  }

  private exemplar(
    picker: ExemplarPicker,
    response: HttpResponse,
    answeredAt: number,
    latencyMs: number,
    failed: boolean,
  ): Exemplar {
    const { method, routeGroup } = this.info!;
    return {
      traceId: detach(this.traceId),
      spanId: detach(this.spanId),
      routeGroup,
      route: (this.spec as RequestSpec).route,
      method,
      path: (this.spec as RequestSpec).path,
      status: response.status,
      latencyMs,
      intendedAt: this.intended,
      sentAt: performance.timeOrigin + (response.sentAt ?? response.receivedAt),
      answeredAt,
      second: picker.secondOf(answeredAt),
      reason: failed ? ExemplarReasons.Failed : ExemplarReasons.Slowest,
    };
  }

  private sleepUntil(when: number, then: 'send' | 'resend'): void {
    if (this.state.stopping) return this.end('interrupted');
    this.resume = then;
    this.state.sleeping.add(this);
    this.timer = setTimeout(wakeUp, Math.max(0, when - now()), this);
  }

  /** Ends a sleep now (its timer fired, or the run is stopping). */
  wake(): void {
    clearTimeout(this.timer);
    this.state.sleeping.delete(this);
    const resume = this.resume;
    this.resume = undefined;
    if (resume === 'send') this.sendStep();
    else if (resume === 'resend') this.resend();
  }

  private end(outcome: Outcome, at = now()): void {
    this.state.recorder.iterationEnded(at, this.journey.name, outcome);
    this.state.release(this.vu);
  }
}

function answered(iteration: Iteration, response: HttpResponse): void {
  iteration.answered(response);
}

function wakeUp(iteration: Iteration): void {
  iteration.wake();
}

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
    traceContext = true,
    signal,
  } = options;
  const connections = options.connections ?? Math.max(1, Math.min(256, Math.ceil(profile.maxVUs / workerCount)));
  const maxVUs = Math.max(1, Math.ceil(profile.maxVUs / workerCount));

  const freeVUs: VirtualUser[] = [];
  let vuCount = 0;
  const newVU = (): VirtualUser => ({ id: workerIndex + workerCount * vuCount++ + 1 });
  for (let i = 0; i < Math.min(maxVUs, Math.ceil(profile.preAllocatedVUs / workerCount)); i++) freeVUs.push(newVU());

  let active = 0;
  let settle: (() => void) | undefined;
  const state: EngineState = {
    client: new HttpClient({
      origin: target,
      connections,
      timeoutMs: requestTimeoutMs,
      headers: { ...runHeaders(runId), accept: 'application/json' },
    }),
    recorder: new Recorder(t0, bucketMs, (report) => sink.bucket(report)),
    sink,
    wantResponses: sink.response !== undefined,
    profile,
    journeys,
    runId,
    seed,
    tokens: options.tokens,
    retry: createRetryPolicy({ maxRetries, maxBackoffMs, now }),
    routeInfo: new Map(),
    // Seeded from the system's random source per thread, so no two runs (or threads) share ids.
    ids: traceContext ? createTraceIds() : undefined,
    exemplars: traceContext && sink.exemplars ? new ExemplarPicker(t0) : undefined,
    sleeping: new Set(),
    stopping: false,
    release(vu) {
      freeVUs.push(vu);
      active--;
      if (active === 0) settle?.();
    },
  };
  const { recorder, client } = state;

  /** Starts an iteration on a free virtual user; false when none is free (the arrival is dropped). */
  function start(iteration: number, intendedStart: number): boolean {
    const vu = freeVUs.pop() ?? (vuCount < maxVUs ? newVU() : undefined);
    if (!vu) return false;
    active++;
    new Iteration(state, vu, iteration, intendedStart);
    return true;
  }

  const ticker = setInterval(() => recorder.tick(now()), Math.max(50, bucketMs / 4));
  const handOver = exemplarHandOver(state.exemplars, sink);

  // The schedule (schedule.ts): a millisecond grid, every arrival due since the last tick
  // started together. Nothing spins: an idle generator leaves the core to the service.
  const schedule = new ArrivalSchedule(
    { profile, t0, workerIndex, workerCount, now },
    {
      start,
      dropped: (at, count) => recorder.dropped(at, count),
      stopping: () => state.stopping,
    },
  );
  function stop(): void {
    if (state.stopping) return;
    state.stopping = true;
    schedule.stop();
    for (const sleeper of [...state.sleeping]) sleeper.wake();
    client.close();
  }
  const onAbort = () => stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) stop();

  await schedule.run();

  // Graceful stop: let running journeys finish, up to the profile's limit.
  if (active > 0 && !state.stopping) {
    await new Promise<void>((resolve) => {
      const limit = setTimeout(resolve, profile.gracefulStopS * 1000);
      signal?.addEventListener('abort', () => resolve(), { once: true });
      settle = () => {
        clearTimeout(limit);
        resolve();
      };
    });
  }
  stop();
  if (active > 0) await new Promise<void>((resolve) => (settle = resolve));
  clearInterval(ticker);
  signal?.removeEventListener('abort', onAbort);
  recorder.flush();
  handOver.end();
  return { aborted: signal?.aborted ?? false };
}

/** Hands the picked exemplars to the sink: failures within 100 ms, each second's slowest once it has closed. */
function exemplarHandOver(exemplars: ExemplarPicker | undefined, sink: EngineOptions['sink']): { end(): void } {
  if (!exemplars) return { end() {} };
  const handOver = () => {
    const batch = exemplars.drain();
    if (batch) sink.exemplars!(batch);
  };
  const ticker = setInterval(() => {
    exemplars.tick(now());
    handOver();
  }, 100);
  return {
    end() {
      clearInterval(ticker);
      exemplars.flush();
      handOver();
    },
  };
}
