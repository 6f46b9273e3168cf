/**
 * `coffee bench`: the performance budgets, measured in interleaved rounds on this machine
 * and judged with their spread (judge.ts). Each figure module in `FIGURES` measures its
 * figures through a `BenchContext` (context.ts); this file runs them, writes bench.json
 * and formats the table.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureMemoryFigure } from './capture.ts';
import { coldStartFigure } from './cold-start.ts';
import type { BenchContext, BenchOptions, FigureSource, StartOptions } from './context.ts';
import { judgeFigure, type BenchFigure } from './figure.ts';
import { median, Verdicts } from './judge.ts';
import { loadEngineFigures } from './load-engine.ts';
import { menuFigures } from './menu.ts';
import { orderFigures } from './orders.ts';
import { remoteWriteFigure } from './remote-write.ts';
import { cpuModel } from './proc.ts';
import { runRounds, type RoundFn } from './rounds.ts';
import { BENCH_SCHEMA_VERSION, type BenchFile } from './schema.ts';
import {
  serviceEnv,
  startRawTarget,
  startServiceTarget,
  withStoreApart,
  type BenchTarget,
  type RawTargetKind,
  type ServiceKind,
} from './start-targets.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every figure of `npm run bench`, in the order they run. A new figure module is one line here. */
export const FIGURES: readonly FigureSource[] = [
  { id: 'menu', measure: menuFigures },
  { id: 'orders', measure: orderFigures },
  { id: 'cold-start', measure: coldStartFigure },
  { id: 'load-engine', measure: loadEngineFigures },
  { id: 'remote-write', measure: remoteWriteFigure },
  { id: 'capture', measure: () => captureMemoryFigure() },
];

export const DEFAULT_OPTIONS: Omit<BenchOptions, 'log'> = {
  durationS: 3,
  rounds: 9,
  warmup: 1,
  saturationS: 2,
  saturationRounds: 2,
  loadShare: 0.25,
  connections: 32,
};

export interface RunBenchOptions extends BenchOptions {
  /** The file to write, relative to the repository's root unless absolute. */
  file: string;
  /** Ids of the figure sources to run (default: all of `sources`). */
  only?: readonly string[];
  sources?: readonly FigureSource[];
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

/** The context figure modules measure through; it stops every target it started. */
class RunContext implements BenchContext {
  readonly #targets: BenchTarget[] = [];

  constructor(
    readonly options: BenchOptions,
    readonly otlp: string,
    readonly work: string,
  ) {}

  rounds<T>(label: string, fn: RoundFn<T>, counts?: { rounds: number; warmup: number }) {
    const { rounds, warmup, log } = this.options;
    return runRounds(label, { rounds, warmup, log, ...counts }, fn);
  }

  async startRaw(kind: RawTargetKind, { storeApart = false }: StartOptions = {}): Promise<BenchTarget> {
    return this.#started(
      await (storeApart ? withStoreApart((endpoint) => startRawTarget(kind, endpoint)) : startRawTarget(kind)),
    );
  }

  async startService(kind: ServiceKind, { storeApart = false }: StartOptions = {}): Promise<BenchTarget> {
    const env = serviceEnv(kind, this.otlp, this.work);
    const start = (extra: Record<string, string>) => startServiceTarget(kind, { ...env, ...extra });
    return this.#started(
      await (storeApart ? withStoreApart((endpoint) => start({ COFFEE_DYNAMODB_ENDPOINT: endpoint })) : start({})),
    );
  }

  #started(target: BenchTarget): BenchTarget {
    this.#targets.push(target);
    return target;
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.#targets.map((t) => t.stop()));
  }
}

function selected(options: RunBenchOptions): readonly FigureSource[] {
  const sources = options.sources ?? FIGURES;
  if (!options.only) return sources;
  const unknown = options.only.filter((id) => !sources.some((s) => s.id === id));
  if (unknown.length > 0)
    throw new Error(`unknown bench figure ${unknown.join(', ')} (known: ${sources.map((s) => s.id).join(', ')})`);
  return sources.filter((s) => options.only!.includes(s.id));
}

export async function runBench(options: RunBenchOptions): Promise<BenchFile> {
  const sources = selected(options);
  const file = resolve(ROOT, options.file);
  const work = await mkdtemp(join(tmpdir(), 'coffee-bench-'));
  const sink = await startOtlpSink();
  const ctx = new RunContext(options, sink.url, work);
  const loadBefore = loadavg();
  const figures: BenchFigure[] = [];
  try {
    for (const source of sources) {
      const out = await source.measure(ctx);
      figures.push(...(Array.isArray(out) ? out : [out]).map(judgeFigure));
    }
  } finally {
    await ctx.stopAll();
    sink.server.close();
    await rm(work, { recursive: true, force: true });
  }
  const bench = benchFile(options, sources, figures, loadBefore);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(bench, null, 2)}\n`);
  return bench;
}

function benchFile(
  options: RunBenchOptions,
  sources: readonly FigureSource[],
  figures: BenchFigure[],
  loadBefore: number[],
): BenchFile {
  const steals = figures.flatMap((f) => f.rounds.flatMap((r) => (r.stealPct === undefined ? [] : [r.stealPct])));
  const count = (v: string) => figures.filter((f) => f.verdict === v).length;
  const { log: _, file: __, only: ___, sources: ____, ...settings } = options;
  return {
    schema: BENCH_SCHEMA_VERSION,
    at: new Date().toISOString(),
    options: { ...settings, figures: sources.map((s) => s.id) },
    machine: {
      node: process.version,
      cpuModel: cpuModel(),
      cores: availableParallelism(),
      loadAverage: { start: loadBefore[0]!, end: loadavg()[0]! },
      stealPct: steals.length === 0 ? { median: 0, max: 0 } : { median: median(steals), max: Math.max(...steals) },
    },
    verdict: {
      met: count(Verdicts.Met),
      inconclusive: count(Verdicts.Inconclusive),
      missed: count(Verdicts.Missed),
      info: count(Verdicts.Info),
    },
    figures,
  };
}

function show(value: number, unit: string): string {
  return unit === 'ratio' ? value.toFixed(3) : `${value.toFixed(1)} ${unit}`;
}

/** The table `coffee bench` prints: one row per figure, primary figures first, columns as wide as their cells. */
export function formatBench(bench: BenchFile): string {
  const { machine } = bench;
  const ordered = [
    ...bench.figures.filter((f) => f.kind === 'primary'),
    ...bench.figures.filter((f) => f.kind !== 'primary'),
  ];
  const cells = [
    ['verdict', 'median', 'range', 'budget', 'rounds', 'steal', 'figure'],
    ...ordered.map((f) => [
      f.verdict.toUpperCase(),
      show(f.value, f.unit),
      `${show(f.min, f.unit)} .. ${show(f.max, f.unit)}`,
      f.budget === undefined ? '' : `${f.comparator} ${show(f.budget, f.unit)} ± ${show(f.margin ?? 0, f.unit)}`,
      String(f.rounds.length),
      f.stealPct === undefined ? '' : `${f.stealPct.max.toFixed(1)}%`,
      f.name,
    ]),
  ];
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const rows = cells.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  );
  const { met, inconclusive, missed } = bench.verdict;
  return [
    `Node ${machine.node}, ${machine.cpuModel}, ${machine.cores} cores; load average ${machine.loadAverage.start.toFixed(2)} -> ${machine.loadAverage.end.toFixed(2)}; steal median ${machine.stealPct.median.toFixed(1)}%, max ${machine.stealPct.max.toFixed(1)}%`,
    '',
    ...rows,
    '',
    `${met} met, ${inconclusive} inconclusive, ${missed} missed (steal: the highest over the figure's rounds)`,
  ].join('\n');
}
