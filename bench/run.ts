/**
 * `npm run bench`: the performance budgets of DESIGN.md, measured as ratios in one run on
 * this machine. Each target runs in its own process; autocannon drives it from this one
 * with the same connections and duration, A/B/A/B interleaved so drift hits both sides.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { buildLambdaBundle } from '../service/lambda/build.ts';
import { httpApiEvent } from '../service/lambda/events.ts';
import { startEmbeddedDynamo } from '../service/store/embedded.ts';
import { localLambdaEnv } from '../service/testing/lambda-env.ts';
import { ratioFigure, withinBudget, type BenchFigure } from './figure.ts';
import { allowanceMicros, spanFloorMicros } from './span-floor.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const runFile = promisify(execFile);

export interface BenchOptions {
  durationS: number;
  connections: number;
  rounds: number;
  out: string;
  log: (line: string) => void;
}

interface Target {
  url: string;
  token?: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Waits for a line of the child's stdout that `pick` recognises. */
function readyLine<T>(child: ChildProcess, what: string, pick: (line: string) => T | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (d) => {
      buffer += d;
      for (const line of buffer.split('\n')) {
        const found = pick(line);
        if (found !== undefined) return resolve(found);
      }
    });
    child.once('exit', (code) => reject(new Error(`bench target ${what} exited with ${code}`)));
  });
}

function targetOf(child: ChildProcess, ready: { url: string; token?: string }): Target {
  return {
    ...ready,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A raw comparison target of target.ts. */
async function startRaw(kind: string): Promise<Target> {
  // node itself with tsx's loader (not the tsx CLI, which runs the script in a second
  // process): the child's pid is the target's.
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'target.ts'), kind], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await readyLine(child, kind, (line) => (line.startsWith('{"url"') ? (JSON.parse(line) as { url: string }) : undefined));
  return targetOf(child, ready);
}

/**
 * The service as users run it: `coffee serve` (compiled, no TypeScript loader; its heap
 * settings), on its embedded store, configured by environment variables, with a dev token
 * for the order routes.
 */
async function startService(label: string, env: Record<string, string>): Promise<Target> {
  // The service's configuration is the bench's alone: none of the shell's COFFEE_* or
  // OTEL_* variables (a COFFEE_DYNAMODB_ENDPOINT would silently change what is measured).
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(COFFEE|OTEL)_/.test(name)));
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'coffee.js'), 'serve', '--port', '0'], {
    cwd: ROOT,
    // Load tests measure the service, not its rate limiter.
    env: { ...inherited, COFFEE_RATE_LIMIT_RPS: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await readyLine(child, label, (line) => /^listening on (\S+)/.exec(line)?.[1]);
    const res = await fetch(`${url}/auth/dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'bench-customer', role: 'customer' }) });
    if (!res.ok) throw new Error(`bench target ${label}: POST /auth/dev-token answered ${res.status}`);
    const { token } = (await res.json()) as { token: string };
    return targetOf(child, { url, token });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/**
 * The service's configurations the budgets compare (environment variables of `coffee
 * serve`), and two that split the telemetry's cost for the report: metrics alone, and
 * tracing with nothing sampled (the instrumentation in place, no span recorded).
 */
type ServiceKind = 'off' | 'metrics' | 'unsampled' | 'traced' | 'traced+access';
function serviceEnv(kind: ServiceKind, otlp: string, workDir: string): Record<string, string> {
  if (kind === 'off') return { OTEL_SDK_DISABLED: 'true', COFFEE_TRACING: 'false', COFFEE_METRICS_EXPORTER: 'none', COFFEE_LOG_LEVEL: 'silent' };
  // Tracing at 100% sampling exported over OTLP to the sink, EMF metrics every second to a
  // file, logs at info; the access line at debug (the budget's configuration) or at info.
  return {
    ...(kind === 'metrics'
      ? { OTEL_SDK_DISABLED: 'true', COFFEE_TRACING: 'false' }
      : { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_TRACES_SAMPLER: kind === 'unsampled' ? 'always_off' : 'always_on', COFFEE_TRACING: 'true' }),
    COFFEE_METRICS_EXPORTER: 'emf',
    COFFEE_EMF_FILE: join(workDir, `emf-${kind}.log`),
    COFFEE_METRICS_INTERVAL_MS: '1000',
    COFFEE_LOG_LEVEL: 'info',
    COFFEE_LOG_FILE: join(workDir, `service-${kind}.log`),
    COFFEE_ACCESS_LOG_LEVEL: kind === 'traced+access' ? 'info' : 'debug',
  };
}

/** Resident memory of a process, from /proc (Linux), in MB. */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

let orderCounter = 0;
/** CPU time of a process's main thread so far, in µs (Linux: /proc, in ticks of 1/100 s). */
async function mainThreadCpuMicros(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10_000;
}

async function drive(target: Target, kind: 'menu' | 'orders', { durationS, connections }: BenchOptions): Promise<{ rps: number; p99: number; errors: number; ok: number; peakRssMb: number; mainCpuUs: number }> {
  let peak = 0;
  const cpuBefore = await mainThreadCpuMicros(target.child.pid!);
  const sampler = setInterval(() => {
    void rssMb(target.child.pid!).then((mb) => (peak = Math.max(peak, mb)));
  }, 250);
  const body = JSON.stringify({ items: [{ productId: 'latte', quantity: 2 }, { productId: 'croissant', quantity: 1 }] });
  const result = await autocannon({
    url: target.url,
    connections,
    duration: durationS,
    ...(kind === 'menu'
      ? { requests: [{ method: 'GET', path: '/menu' }] }
      : {
          requests: [
            {
              method: 'POST',
              path: '/orders',
              body,
              setupRequest: (request: Record<string, unknown>) => ({
                ...request,
                headers: {
                  'content-type': 'application/json',
                  ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
                  'idempotency-key': `bench-${process.pid}-${++orderCounter}`,
                },
              }),
            },
          ],
        }),
  } as autocannon.Options);
  clearInterval(sampler);
  const mainCpuUs = ((await mainThreadCpuMicros(target.child.pid!)) - cpuBefore) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx, ok: result['2xx'], peakRssMb: peak, mainCpuUs };
}

/**
 * Runs the targets in turn, `rounds` times over (A B C A B C ...), so drift on a noisy
 * machine hits every side alike; returns the mean request rate and main-thread CPU per
 * request of each, in order, and each one's peak resident memory and count of 2xx answers
 * (warm-up included).
 */
async function compare(kind: 'menu' | 'orders', sides: Record<string, Target>, options: BenchOptions) {
  // Results come back in the order the sides are listed.
  const targets = Object.entries(sides).map(([label, target]) => ({ label, target }));
  const rates = targets.map(() => [] as number[]);
  const cpu = targets.map(() => [] as number[]);
  const peakRssMb = targets.map(() => 0);
  const ok = targets.map(() => 0);
  let errors = 0;
  const record = (i: number, r: Awaited<ReturnType<typeof drive>>) => {
    peakRssMb[i] = Math.max(peakRssMb[i]!, r.peakRssMb);
    ok[i]! += r.ok;
  };
  // A warm-up of each as long as a round: the JIT, connection pools and caches, and V8's
  // young generation, which starts small and grows; a POST /orders target still sped up
  // by a fifth between its first and second seconds.
  for (const [i, { target }] of targets.entries()) record(i, await drive(target, kind, options));
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, { label, target }] of targets.entries()) {
      const r = await drive(target, kind, options);
      rates[i]!.push(r.rps);
      cpu[i]!.push(r.mainCpuUs);
      errors += r.errors;
      record(i, r);
      options.log(`  ${kind} ${label} round ${round + 1}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${r.errors} errors, ${Math.round(r.peakRssMb)} MB resident`);
    }
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { rps: rates.map(mean), mainCpuUs: cpu.map(mean), errors, peakRssMb, ok };
}

/**
 * One span's least cost (span-floor.ts) against what the GET /menu tracing budget leaves
 * per request, for information (it cannot fail the run). The allowance is read two ways:
 * from the untraced service's main-thread CPU per request, measured under the same load
 * (right when that thread limits the rate), and from the whole machine's CPU per request,
 * all cores over the untraced rate (right when every core is busy and any of them could
 * take the span's work). The figure is the first; the second is in the details.
 */
function spanFloorFigure(untracedRps: number, untracedMainCpuUs: number): BenchFigure {
  const floor = spanFloorMicros();
  const allowance = allowanceMicros(untracedMainCpuUs, 0.9);
  const machineAllowance = allowanceMicros((availableParallelism() * 1e6) / untracedRps, 0.9);
  const us = (n: number) => Number(n.toFixed(2));
  return {
    name: "GET /menu: one SDK span's start, end and OTLP serialisation (tight loop, no send) vs the main-thread CPU per request the 0.90 budget leaves (information; above 1 out of reach)",
    value: floor / allowance,
    comparator: '<=',
    unit: 'ratio',
    details: { spanFloorUs: us(floor), untracedMainCpuUs: us(untracedMainCpuUs), allowanceUs: us(allowance), wholeMachineAllowanceUs: us(machineAllowance), vsWholeMachine: us(floor / machineAllowance) },
  };
}

async function coldStart(options: BenchOptions, otlp: string): Promise<BenchFigure> {
  const outdir = await mkdtemp(join(ROOT, 'out', 'bench-lambda-'));
  const bundle = await buildLambdaBundle({ outdir });
  const db = await startEmbeddedDynamo();
  const probe = join(ROOT, 'service', 'lambda', 'cold-start-probe.mjs');
  const base = localLambdaEnv(db.endpoint);
  const variants = {
    off: { ...base, COFFEE_METRICS_EXPORTER: 'none', COFFEE_TRACING: 'false' },
    on: { ...base, COFFEE_METRICS_EXPORTER: 'emf', COFFEE_EMF_FILE: join(outdir, 'emf.log'), COFFEE_TRACING: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: otlp },
  };
  const samples: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const event = JSON.stringify(httpApiEvent({ path: '/menu' }));
  try {
    // First run creates the table and menu; then 7 cold starts of each, interleaved.
    await runFile('node', [probe, bundle.file, event], { env: { ...process.env, ...variants.off } });
    for (let i = 0; i < 7; i++) {
      for (const side of ['off', 'on'] as const) {
        const { stdout } = await runFile('node', [probe, bundle.file, event], { env: { ...process.env, ...variants[side] } });
        samples[side].push((JSON.parse(stdout.trim().split('\n').at(-1)!) as { totalMs: number }).totalMs);
      }
    }
  } finally {
    await db.stop();
    await rm(outdir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const off = median(samples.off);
  const on = median(samples.on);
  options.log(`  cold init (import + first GET /menu): ${off.toFixed(1)} ms without telemetry, ${on.toFixed(1)} ms with`);
  return {
    name: 'Lambda bundle cold init: with telemetry minus without',
    value: Math.round((on - off) * 10) / 10,
    budget: 30,
    comparator: '<=',
    unit: 'ms',
    details: { withoutMs: Math.round(off * 10) / 10, withMs: Math.round(on * 10) / 10, bundleKiB: Math.round(bundle.bytes / 1024) },
  };
}

export async function runBench(options: BenchOptions): Promise<BenchFigure[]> {
  await mkdir(join(ROOT, 'out'), { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'coffee-bench-'));
  // An OTLP sink, so traced targets export for real.
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  }).listen(0, '127.0.0.1');
  await new Promise((r) => sink.once('listening', r));
  const otlp = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const figures: BenchFigure[] = [];
  const targets: Target[] = [];
  const started = async (target: Promise<Target>) => {
    const t = await target;
    targets.push(t);
    return t;
  };
  const raw = (kind: string) => started(startRaw(kind));
  const service = (kind: ServiceKind) => started(startService(kind, serviceEnv(kind, otlp, work)));
  try {
    options.log('GET /menu: raw node:http with the same answer, raw with a bare answer, the service with telemetry off');
    const rawMenu = await raw('raw-menu');
    const rawBare = await raw('raw-menu-bare');
    const plain = await service('off');
    const menu = await compare('menu', { raw: rawMenu, 'raw-bare': rawBare, service: plain }, options);
    const [rawRps, bareRps, serviceRps] = menu.rps as [number, number, number];
    figures.push(ratioFigure('GET /menu: service (telemetry off) vs raw node:http sending the same answer', { rawRps, serviceRps }, ['serviceRps', 'rawRps'], 0.8));
    figures.push(ratioFigure('GET /menu: service (telemetry off) vs raw node:http with only a content type (information)', { bareRps, serviceRps }, ['serviceRps', 'bareRps']));
    await rawMenu.stop();
    await rawBare.stop();

    options.log('GET /menu: telemetry off, tracing 100% + EMF metrics, the same with access lines, EMF alone, tracing at 0% + EMF');
    const traced = await service('traced');
    const logged = await service('traced+access');
    const metricsOnly = await service('metrics');
    const unsampled = await service('unsampled');
    const menuTel = await compare('menu', { off: plain, traced, 'traced+access': logged, metrics: metricsOnly, unsampled }, options);
    const [offRps, onRps, loggedRps, metricsRps, unsampledRps] = menuTel.rps as [number, number, number, number, number];
    figures.push(ratioFigure('GET /menu: tracing 100% + metrics vs telemetry off', { offRps, onRps }, ['onRps', 'offRps'], 0.9));
    figures.push(ratioFigure('GET /menu: tracing 100% + metrics + an access line per request vs telemetry off (information)', { offRps, onRps: loggedRps }, ['onRps', 'offRps']));
    figures.push(ratioFigure('GET /menu: metrics alone (EMF) vs telemetry off (information)', { offRps, metricsRps }, ['metricsRps', 'offRps']));
    figures.push(ratioFigure('GET /menu: tracing at 0% sampling + metrics vs telemetry off (information: the instrumentation, no span recorded)', { offRps, unsampledRps }, ['unsampledRps', 'offRps']));
    figures.push(spanFloorFigure(offRps, menuTel.mainCpuUs[0]!));
    for (const t of [logged, traced, metricsOnly, unsampled]) await t.stop();

    options.log('POST /orders: raw PutItem handler vs service, telemetry off');
    const rawPut = await raw('raw-put');
    const orders = await compare('orders', { raw: rawPut, service: plain }, options);
    const [putRps, orderRps] = orders.rps as [number, number];
    figures.push(ratioFigure('POST /orders: service vs minimal node:http PutItem handler', { rawRps: putRps, serviceRps: orderRps }, ['serviceRps', 'rawRps'], 0.8, { errors: orders.errors }));
    await rawPut.stop();
    await plain.stop();

    // Two fresh services, so both sides have the same history (a service's rate still
    // climbs over its first tens of thousands of orders).
    options.log('POST /orders: telemetry off vs tracing 100% + metrics, EMF alone, tracing at 0% + EMF; fresh services');
    const ordersOffTarget = await service('off');
    const ordersTracedTarget = await service('traced');
    const ordersMetricsTarget = await service('metrics');
    const ordersUnsampledTarget = await service('unsampled');
    const ordersTel = await compare('orders', { off: ordersOffTarget, traced: ordersTracedTarget, metrics: ordersMetricsTarget, unsampled: ordersUnsampledTarget }, options);
    const [ordersOff, ordersOn, ordersMetrics, ordersUnsampled] = ordersTel.rps as [number, number, number, number];
    figures.push(ratioFigure('POST /orders: tracing 100% + metrics vs telemetry off', { offRps: ordersOff, onRps: ordersOn }, ['onRps', 'offRps'], 0.9));
    figures.push(ratioFigure('POST /orders: metrics alone (EMF) vs telemetry off (information)', { offRps: ordersOff, metricsRps: ordersMetrics }, ['metricsRps', 'offRps']));
    figures.push(ratioFigure('POST /orders: tracing at 0% sampling + metrics vs telemetry off (information)', { offRps: ordersOff, unsampledRps: ordersUnsampled }, ['unsampledRps', 'offRps']));
    await ordersMetricsTarget.stop();
    await ordersUnsampledTarget.stop();
    // The memory of the traced side of this comparison, which holds this load's orders. The
    // in-memory store grows with every order, about 4.4 KB each; the untraced service of the
    // raw comparison, after its GET /menu loads as well, is reported next to it.
    const tracedPeak = ordersTel.peakRssMb[1]!;
    figures.push({ name: 'Resident memory, coffee serve (tracing + metrics) + embedded store under POST /orders load', value: Math.round(tracedPeak), budget: 250, comparator: '<=', unit: 'MB', details: { ordersStored: ordersTel.ok[1]! } });
    figures.push({ name: 'Resident memory, coffee serve (telemetry off) after GET /menu loads and the raw POST /orders comparison (information)', value: Math.round(orders.peakRssMb[1]!), comparator: '<=', unit: 'MB', details: { ordersStored: orders.ok[1]! } });
    await ordersOffTarget.stop();
    await ordersTracedTarget.stop();

    options.log('Lambda cold init, with and without telemetry');
    figures.push(await coldStart(options, otlp));

    const loadBench = join(ROOT, 'loadtests', 'bench.ts');
    const hasLoadBench = await readFile(loadBench, 'utf8').then(() => true, () => false);
    if (hasLoadBench) {
      options.log('Load engine vs plain autocannon');
      const mod = (await import(loadBench)) as { benchLoadEngine: () => Promise<BenchFigure[]> };
      figures.push(...(await mod.benchLoadEngine()));
    }
  } finally {
    await Promise.allSettled(targets.map((t) => (t.child.exitCode === null ? t.stop() : Promise.resolve())));
    sink.close();
    await rm(work, { recursive: true, force: true });
  }
  await mkdir(join(ROOT, options.out), { recursive: true });
  await writeFile(join(ROOT, options.out, 'bench.json'), `${JSON.stringify({ at: new Date().toISOString(), figures }, null, 2)}\n`);
  return figures;
}

export function formatFigures(figures: BenchFigure[]): string {
  const rows = figures.map((f) => {
    const show = (n: number) => (f.unit === 'ratio' ? n.toFixed(2) : `${n} ${f.unit}`);
    const budget = f.budget === undefined ? '' : `${f.comparator} ${show(f.budget)}`;
    const verdict = f.budget === undefined ? 'INFO' : withinBudget(f) ? 'PASS' : 'FAIL';
    const details = f.details ? Object.entries(f.details).map(([k, v]) => `${k}=${v}`).join(' ') : '';
    return `${verdict}  ${show(f.value).padEnd(9)} ${budget.padEnd(12)} ${f.name}${details ? `  (${details})` : ''}`;
  });
  return rows.join('\n');
}
