/**
 * The Coffee Cloud load test for k6 (v1.0 or newer runs TypeScript as it is):
 *
 *   k6 run --env COFFEE_TARGET=http://127.0.0.1:3000 --env COFFEE_PROFILE=average loadtests/k6/script.ts
 *
 * The same journeys, profiles and SLO thresholds as the Node engine (imported from
 * ../shared, which imports nothing but relative, pure files). Settings (`--env`):
 * COFFEE_TARGET (default http://127.0.0.1:3000), COFFEE_PROFILE (smoke), COFFEE_DURATION_S,
 * COFFEE_RATE, COFFEE_SEED (1), COFFEE_RUN_ID, COFFEE_OUT (directory for result.json and
 * junit.xml), COFFEE_THRESHOLDS (JSON: threshold id to limit), COFFEE_TOKENS_FILE (pre-issued
 * customer and barista tokens for a target whose issuer is Cognito; see ../shared/tokens.ts).
 *
 * Exit codes (k6's): 0 thresholds passed, 99 a threshold failed, 108 setup found the target down.
 */
import { check, sleep } from 'k6';
import { randomBytes } from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { routeGroupOf } from '../../service/catalog/index.ts';
import {
  JOURNEYS,
  pickJourney,
  runHeaders,
  splitRoute,
  thinkTime,
  type IterationContext,
  type RequestSpec,
  type StepResponse,
  type VirtualUser,
} from '../shared/journeys.ts';
import { junitFileName, resultFileName } from '../shared/outputs.ts';
import { createRetryPolicy } from '../shared/retry.ts';
import { createRng, deriveSeed } from '../shared/rng.ts';
import { toJunitXml } from '../shared/junit.ts';
import { expiryProblem, parseTokenPool } from '../shared/tokens.ts';
import { profileDurationS } from '../shared/profiles.ts';
import { formatSummary } from '../shared/summary-text.ts';
import { TraceIdGenerator, TRACEPARENT, traceparent } from '../shared/trace-context.ts';
import { buildK6Options, K6Metadata, K6Metrics, profileOf, settingsFromEnv } from './options.ts';
import { resultFromK6Summary, toLegacySummary, type K6MachineReadableSummary, type K6SummaryData } from './summary.ts';

const settings = settingsFromEnv(__ENV);
const profile = profileOf(settings);
// `open()` works only here, in the init context; every VU parses its own copy (a few KB).
const tokens = settings.tokensFile
  ? parseTokenPool(open(settings.tokensFile), `COFFEE_TOKENS_FILE ${settings.tokensFile}`)
  : undefined;

export const options = buildK6Options(settings);

const journeysCounter = new Counter(K6Metrics.Journeys);
const journeyDuration = new Trend(K6Metrics.JourneyDuration, true);
const ordersPlaced = new Counter(K6Metrics.OrdersPlaced);
const retries = new Counter(K6Metrics.Retries);

// Only 5xx and network errors fail a request (the availability SLO); a 404 or 409 is an
// answer the journey's checks judge.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 499 }));

const baseHeaders: Record<string, string> = { ...runHeaders(settings.runId), accept: 'application/json' };
const retry = createRetryPolicy();
// Init code runs once per VU: each VU draws its trace ids from its own randomly seeded generator.
const ids = new TraceIdGenerator(new Uint32Array(randomBytes(16)));

/** Fail fast: a run against a target that is down measures nothing. */
export function setup(): { target: string; startedAtMs: number } {
  const response = http.get(`${settings.target}/health`, {
    headers: baseHeaders,
    tags: { name: 'setup GET /health', route_group: 'setup' },
    timeout: '5s',
  });
  if (response.status !== 200) {
    exec.test.abort(
      `target ${settings.target} is unreachable or unhealthy: GET /health answered ${response.status} ${response.error}`,
    );
  }
  const expiry = tokens ? expiryProblem(tokens, Date.now(), profileDurationS(profile)) : undefined;
  if (expiry) exec.test.abort(`COFFEE_TOKENS_FILE ${settings.tokensFile}: ${expiry}`);
  // The scenario starts when setup returns: handleSummary dates the run (and its timeline) from here.
  return { target: settings.target, startedAtMs: Date.now() };
}

// One virtual user per k6 VU, for the VU's whole life (its own account and token).
let vu: VirtualUser | undefined;

function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  const lower: Record<string, string> = {};
  for (const name of Object.keys(headers)) lower[name.toLowerCase()] = headers[name] as string;
  return lower;
}

function send(spec: RequestSpec, iteration: number): StepResponse {
  const { method, template } = splitRoute(spec.route);
  const routeGroup = routeGroupOf(method, template);
  const headers: Record<string, string> = { ...baseHeaders, ...spec.headers };
  if (spec.token) headers.authorization = `Bearer ${spec.token}`;
  if (spec.idempotencyKey) headers['idempotency-key'] = spec.idempotencyKey;
  const body = spec.body === undefined ? null : JSON.stringify(spec.body);
  if (body !== null) headers['content-type'] = 'application/json';
  const params = { headers, tags: { name: spec.route, route: spec.route, route_group: routeGroup }, timeout: '10s' };
  const jitter = createRng(deriveSeed(settings.seed, iteration, 'retry'));
  // One trace per step; each attempt (a retry too) is a span of its own in it.
  const traceId = ids.traceId();
  for (let attempt = 1; ; attempt++) {
    const spanId = ids.spanId();
    headers[TRACEPARENT] = traceparent(traceId, spanId);
    // Metadata, not tags: k6 writes it on this request's samples without making a series of it.
    exec.vu.metrics.metadata[K6Metadata.TraceId] = traceId;
    exec.vu.metrics.metadata[K6Metadata.SpanId] = spanId;
    exec.vu.metrics.metadata[K6Metadata.Path] = spec.path;
    exec.vu.metrics.metadata[K6Metadata.ExpectedStatuses] = spec.expect.join(' ');
    const response = http.request(method, `${settings.target}${spec.path}`, body, params);
    for (const key of Object.values(K6Metadata)) delete exec.vu.metrics.metadata[key];
    const answer: StepResponse = {
      status: response.status,
      body: typeof response.body === 'string' ? response.body : '',
      headers: lowerCaseHeaders(response.headers),
    };
    if (!spec.retry || !retry.shouldRetry(attempt, answer.status)) return answer;
    retries.add(1, { route: spec.route });
    sleep(retry.backoffMs(attempt, answer.headers['retry-after'], jitter.next()) / 1000);
  }
}

export default function (): void {
  vu ??= { id: exec.vu.idInTest };
  const iteration = exec.scenario.iterationInTest;
  const rng = createRng(deriveSeed(settings.seed, iteration));
  const journey = pickJourney(rng, JOURNEYS);
  const ctx: IterationContext = { runId: settings.runId, iteration, vu, rng, vars: {}, ...(tokens ? { tokens } : {}) };
  const startedAt = Date.now();
  journeysCounter.add(1, { journey: journey.name, outcome: 'started' });
  let outcome: 'completed' | 'failed' = 'completed';
  let first = true;
  for (const step of journey.steps) {
    const spec = step.request(ctx);
    if (!spec) continue;
    if (!first) sleep(thinkTime(journey, rng, profile.thinkTimeScale) / 1000);
    first = false;
    const response = send(spec, iteration);
    const passed = check(response, { [step.name]: (r) => spec.expect.includes(r.status) }, { journey: journey.name });
    if (!passed) {
      outcome = 'failed';
      break;
    }
    if (spec.route === 'POST /orders' && response.status === 201) ordersPlaced.add(1);
    if (step.after?.(ctx, response) === false) break;
  }
  journeysCounter.add(1, { journey: journey.name, outcome });
  journeyDuration.add(Date.now() - startedAt, { journey: journey.name, outcome });
}

/** Writes the same result.json (and junit.xml) as the Node engine, and prints the same summary. */
export function handleSummary(data: K6SummaryData | K6MachineReadableSummary): Record<string, string> {
  // k6 v1 gives the legacy summary data; with --new-machine-readable-summary (v2's way) the new shape.
  const result = resultFromK6Summary(toLegacySummary(data, options.summaryTrendStats), settings, new Date());
  const dir = settings.out ? `${settings.out}/` : '';
  return {
    stdout: formatSummary(result),
    [`${dir}${resultFileName}`]: `${JSON.stringify(result, null, 2)}\n`,
    [`${dir}${junitFileName}`]: toJunitXml(result),
  };
}
