/**
 * `coffee bench`: the performance budgets, measured as ratios in one run on this machine.
 * Each target runs in its own process (start-targets.ts); autocannon drives them from this
 * one with the same connections and duration, interleaved (compare.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coldStartFigure } from './cold-start.ts';
import { compare, type Comparison, type DriveOptions } from './compare.ts';
import { ratioFigure, withinBudget, type BenchFigure } from './figure.ts';
import { benchLoadEngine } from './load-engine.ts';
import { allowanceMicros, spanFloorMicros } from './span-floor.ts';
import {
  serviceEnv,
  startRawTarget,
  startServiceTarget,
  type BenchTarget,
  type RawTargetKind,
  type ServiceKind,
} from './start-targets.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BenchOptions extends DriveOptions {
  out: string;
}

/**
 * One SDK span's least cost (span-floor.ts) against what the GET /menu tracing budget
 * leaves per request, for information (it cannot fail the run). The allowance is read two
 * ways: from the untraced service's main-thread CPU per request, measured under the same
 * load (right when that thread limits the rate), and from the whole machine's CPU per
 * request, all cores over the untraced rate (right when every core is busy and any of them
 * could take the span's work). The figure is the first; the second is in the details.
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
    details: {
      spanFloorUs: us(floor),
      untracedMainCpuUs: us(untracedMainCpuUs),
      allowanceUs: us(allowance),
      wholeMachineAllowanceUs: us(machineAllowance),
      vsWholeMachine: us(floor / machineAllowance),
    },
  };
}

/** An OTLP sink, so traced targets export for real. */
async function startOtlpSink(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The comparisons in the order they run, each phase adding its figures. */
class BenchRun {
  readonly figures: BenchFigure[] = [];
  readonly #targets: BenchTarget[] = [];
  readonly #options: BenchOptions;
  readonly #otlp: string;
  readonly #work: string;

  constructor(options: BenchOptions, otlp: string, work: string) {
    this.#options = options;
    this.#otlp = otlp;
    this.#work = work;
  }

  async run(): Promise<void> {
    const plain = await this.#menuVsRaw();
    await this.#menuTelemetry(plain);
    const ordersVsRaw = await this.#ordersVsRaw(plain);
    await plain.stop();
    await this.#ordersTelemetry(ordersVsRaw);
    this.#options.log('Lambda cold init, with and without telemetry');
    this.figures.push(await coldStartFigure(this.#options.log, this.#otlp));
    this.#options.log('Load engine vs plain autocannon');
    this.figures.push(...(await benchLoadEngine({ log: this.#options.log })));
  }

  /** Stops every target still running. */
  async stopAll(): Promise<void> {
    await Promise.allSettled(this.#targets.map((t) => t.stop()));
  }

  async #raw(kind: RawTargetKind): Promise<BenchTarget> {
    return this.#started(await startRawTarget(kind));
  }

  async #service(kind: ServiceKind): Promise<BenchTarget> {
    return this.#started(await startServiceTarget(kind, serviceEnv(kind, this.#otlp, this.#work)));
  }

  #started(target: BenchTarget): BenchTarget {
    this.#targets.push(target);
    return target;
  }

  /** Returns the service with telemetry off, which the next two phases measure again. */
  async #menuVsRaw(): Promise<BenchTarget> {
    this.#options.log(
      'GET /menu: raw node:http with the same answer, raw with a bare answer, the service with telemetry off',
    );
    const rawMenu = await this.#raw('raw-menu');
    const rawBare = await this.#raw('raw-menu-bare');
    const plain = await this.#service('off');
    const menu = await compare('menu', { raw: rawMenu, 'raw-bare': rawBare, service: plain }, this.#options);
    const [rawRps, bareRps, serviceRps] = menu.rps as [number, number, number];
    this.figures.push(
      ratioFigure(
        'GET /menu: service (telemetry off) vs raw node:http sending the same answer',
        { rawRps, serviceRps },
        ['serviceRps', 'rawRps'],
        0.8,
      ),
    );
    this.figures.push(
      ratioFigure(
        'GET /menu: service (telemetry off) vs raw node:http with only a content type (information)',
        { bareRps, serviceRps },
        ['serviceRps', 'bareRps'],
      ),
    );
    await rawMenu.stop();
    await rawBare.stop();
    return plain;
  }

  async #menuTelemetry(plain: BenchTarget): Promise<void> {
    this.#options.log(
      'GET /menu: telemetry off, tracing 100% + EMF metrics, the same with access lines, EMF alone, tracing at 0% + EMF',
    );
    const traced = await this.#service('traced');
    const logged = await this.#service('traced+access');
    const metricsOnly = await this.#service('metrics');
    const unsampled = await this.#service('unsampled');
    const menuTel = await compare(
      'menu',
      { off: plain, traced, 'traced+access': logged, metrics: metricsOnly, unsampled },
      this.#options,
    );
    const [offRps, onRps, loggedRps, metricsRps, unsampledRps] = menuTel.rps as [
      number,
      number,
      number,
      number,
      number,
    ];
    this.figures.push(
      ratioFigure('GET /menu: tracing 100% + metrics vs telemetry off', { offRps, onRps }, ['onRps', 'offRps'], 0.9),
    );
    this.figures.push(
      ratioFigure(
        'GET /menu: tracing 100% + metrics + an access line per request vs telemetry off (information)',
        { offRps, onRps: loggedRps },
        ['onRps', 'offRps'],
      ),
    );
    this.figures.push(
      ratioFigure('GET /menu: metrics alone (EMF) vs telemetry off (information)', { offRps, metricsRps }, [
        'metricsRps',
        'offRps',
      ]),
    );
    this.figures.push(
      ratioFigure(
        'GET /menu: tracing at 0% sampling + metrics vs telemetry off (information: the instrumentation, no span recorded)',
        { offRps, unsampledRps },
        ['unsampledRps', 'offRps'],
      ),
    );
    this.figures.push(spanFloorFigure(offRps, menuTel.mainCpuUs[0]!));
    for (const t of [logged, traced, metricsOnly, unsampled]) await t.stop();
  }

  async #ordersVsRaw(plain: BenchTarget): Promise<Comparison> {
    this.#options.log('POST /orders: raw PutItem handler vs service, telemetry off');
    const rawPut = await this.#raw('raw-put');
    const orders = await compare('orders', { raw: rawPut, service: plain }, this.#options);
    const [putRps, orderRps] = orders.rps as [number, number];
    this.figures.push(
      ratioFigure(
        'POST /orders: service vs minimal node:http PutItem handler',
        { rawRps: putRps, serviceRps: orderRps },
        ['serviceRps', 'rawRps'],
        0.8,
        { errors: orders.errors },
      ),
    );
    await rawPut.stop();
    return orders;
  }

  /**
   * On fresh services, so every side has the same history of stored orders; with the
   * resident memory of its traced side and of the untraced service of `ordersVsRaw`.
   */
  async #ordersTelemetry(ordersVsRaw: Comparison): Promise<void> {
    this.#options.log(
      'POST /orders: telemetry off vs tracing 100% + metrics, EMF alone, tracing at 0% + EMF; fresh services',
    );
    const off = await this.#service('off');
    const traced = await this.#service('traced');
    const metrics = await this.#service('metrics');
    const unsampled = await this.#service('unsampled');
    const ordersTel = await compare('orders', { off, traced, metrics, unsampled }, this.#options);
    const [ordersOff, ordersOn, ordersMetrics, ordersUnsampled] = ordersTel.rps as [number, number, number, number];
    this.figures.push(
      ratioFigure(
        'POST /orders: tracing 100% + metrics vs telemetry off',
        { offRps: ordersOff, onRps: ordersOn },
        ['onRps', 'offRps'],
        0.9,
      ),
    );
    this.figures.push(
      ratioFigure(
        'POST /orders: metrics alone (EMF) vs telemetry off (information)',
        { offRps: ordersOff, metricsRps: ordersMetrics },
        ['metricsRps', 'offRps'],
      ),
    );
    this.figures.push(
      ratioFigure(
        'POST /orders: tracing at 0% sampling + metrics vs telemetry off (information)',
        { offRps: ordersOff, unsampledRps: ordersUnsampled },
        ['unsampledRps', 'offRps'],
      ),
    );
    await metrics.stop();
    await unsampled.stop();
    this.figures.push({
      name: 'Resident memory, coffee serve (tracing + metrics) + embedded store under POST /orders load',
      value: Math.round(ordersTel.peakRssMb[1]!),
      budget: 250,
      comparator: '<=',
      unit: 'MB',
      details: { ordersStored: ordersTel.ok[1]! },
    });
    this.figures.push({
      name: 'Resident memory, coffee serve (telemetry off) after GET /menu loads and the raw POST /orders comparison (information)',
      value: Math.round(ordersVsRaw.peakRssMb[1]!),
      comparator: '<=',
      unit: 'MB',
      details: { ordersStored: ordersVsRaw.ok[1]! },
    });
    await off.stop();
    await traced.stop();
  }
}

export async function runBench(options: BenchOptions): Promise<BenchFigure[]> {
  await mkdir(join(ROOT, 'out'), { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'coffee-bench-'));
  const sink = await startOtlpSink();
  const bench = new BenchRun(options, sink.url, work);
  try {
    await bench.run();
  } finally {
    await bench.stopAll();
    sink.server.close();
    await rm(work, { recursive: true, force: true });
  }
  await mkdir(join(ROOT, options.out), { recursive: true });
  await writeFile(
    join(ROOT, options.out, 'bench.json'),
    `${JSON.stringify({ at: new Date().toISOString(), figures: bench.figures }, null, 2)}\n`,
  );
  return bench.figures;
}

export function formatFigures(figures: BenchFigure[]): string {
  const rows = figures.map((f) => {
    const show = (n: number) => (f.unit === 'ratio' ? n.toFixed(2) : `${n} ${f.unit}`);
    const budget = f.budget === undefined ? '' : `${f.comparator} ${show(f.budget)}`;
    const verdict = f.budget === undefined ? 'INFO' : withinBudget(f) ? 'PASS' : 'FAIL';
    const details = f.details
      ? Object.entries(f.details)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')
      : '';
    return `${verdict}  ${show(f.value).padEnd(9)} ${budget.padEnd(12)} ${f.name}${details ? `  (${details})` : ''}`;
  });
  return rows.join('\n');
}
