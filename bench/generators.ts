/**
 * Load generators in processes of their own (generator-child.ts), for the figures that
 * compare two generators or one generator two ways: both run at once, pinned to one CPU
 * (affinity.ts), each against a target of its own on the other CPU, and each reads its own
 * CPU time over its run. Measured in turn in the bench's own process, the engine's CPU per
 * request moved by 10% from one run to the next with the machine's speed; side by side on
 * one CPU, both generators meet the same moments.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Pinning } from './affinity.ts';
import type { BenchContext } from './context.ts';
import type { Round } from './figure.ts';
import type { GeneratorJob, GeneratorResult } from './generator-child.ts';
import { median } from './judge.ts';
import type { MeasuredRound } from './rounds.ts';
import type { BenchTarget } from './start-targets.ts';

const CHILD = fileURLToPath(new URL('./generator-child.ts', import.meta.url));

export type { GeneratorJob, GeneratorResult };

export class GeneratorProcess {
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #answers: string[] = [];
  readonly #closed: Promise<void>;
  #waiting: ((line: string | undefined) => void) | undefined;
  #exited = false;

  private constructor(child: ChildProcessByStdio<Writable, Readable, null>) {
    this.#child = child;
    createInterface({ input: child.stdout }).on('line', (line) => this.#deliver(line));
    // A child that died makes its stdin fail with EPIPE: the run that wrote says so instead.
    child.stdin.on('error', () => {});
    // 'close', not 'exit': its last lines have been read by then.
    this.#closed = new Promise((resolve) =>
      child.once('close', () => {
        this.#exited = true;
        this.#deliver(undefined);
        resolve();
      }),
    );
    child.once('error', () => {
      this.#exited = true;
      this.#deliver(undefined);
    });
  }

  /** A generator process, once it has loaded and said it is ready. */
  static async start(): Promise<GeneratorProcess> {
    // node itself with tsx's loader (not the tsx CLI, which runs the script in a second process).
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const generator = new GeneratorProcess(child);
    const ready = await generator.#next(READY_TIMEOUT_MS);
    if (ready === undefined || !ready.startsWith('{"ready":true')) {
      await generator.stop();
      throw new Error(`bench load generator did not start (said ${ready ?? 'nothing'})`);
    }
    return generator;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** Runs one job; rejects with the generator's error, if it died, or if it overran the job by a minute. */
  async run(job: GeneratorJob): Promise<GeneratorResult> {
    if (this.#waiting) throw new Error(`bench load generator ${this.pid} is already running a job`);
    if (this.#exited) throw new Error(`bench load generator ${this.pid} has exited`);
    this.#child.stdin.write(`${JSON.stringify(job)}\n`);
    const line = await this.#next(job.durationS * 1000 + JOB_GRACE_MS);
    if (line === undefined) throw new Error(`bench load generator ${this.pid} exited during its ${job.generator} run`);
    const answer = JSON.parse(line) as GeneratorResult | { error: string };
    if ('error' in answer) throw new Error(`bench load generator (${job.generator}): ${answer.error}`);
    return answer;
  }

  /** Closes its input and waits for it to end (SIGTERM if it has not after 5 s). */
  async stop(): Promise<void> {
    if (this.#exited) return;
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGTERM'), 5000);
    await this.#closed;
    clearTimeout(timer);
  }

  /** The next line, or undefined once the child is gone; after `timeoutMs`, the child is killed. */
  #next(timeoutMs: number): Promise<string | undefined> {
    const line = this.#answers.shift();
    if (line !== undefined || this.#exited) return Promise.resolve(line);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    return new Promise<string | undefined>((resolve) => (this.#waiting = resolve)).finally(() => clearTimeout(timer));
  }

  #deliver(line: string | undefined): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting(line);
    else if (line !== undefined) this.#answers.push(line);
  }
}

/** How long a generator may take to load and say it is ready. */
const READY_TIMEOUT_MS = 60_000;
/** How long past its duration a job may take (a busy machine, the engine's summary) before its generator is killed. */
const JOB_GRACE_MS = 60_000;

/** Starts `count` generator processes; stops the ones started if one fails. */
export async function startGenerators(count: number): Promise<GeneratorProcess[]> {
  const started: GeneratorProcess[] = [];
  try {
    for (let i = 0; i < count; i++) started.push(await GeneratorProcess.start());
  } catch (error) {
    await Promise.all(started.map((g) => g.stop()));
    throw error;
  }
  return started;
}

/**
 * A generator's CPU round lasts this many times the run's `--duration`. A generator
 * allocates for every request, and its major collections (their marking on V8's other
 * threads) come every few seconds: in 3-second windows a round's whole-process CPU per
 * request moved by 20% with whether one fell inside it, while its main thread's moved by
 * 5%. Longer windows hold several, and both sides run at once, so a round costs its
 * duration only once.
 */
export const GENERATOR_DURATION_FACTOR = 3;

/** One side of a generator comparison: its job, less what the comparison sets (target, duration, rate). */
export type GeneratorSide = Omit<GeneratorJob, 'url' | 'durationS' | 'rate' | 'runId' | 'connections'>;

export interface GeneratorComparisonSpec<S extends string> {
  /** The figure module's id: `--rates ID=N` sets its rate. */
  id: string;
  label: string;
  sides: Record<S, GeneratorSide>;
  /** Seconds of each CPU round's run (both sides at once). */
  durationS: number;
  /** Kept CPU rounds (after the run's warm-up). */
  rounds: number;
  /**
   * Also run every side flat out at the same time, pinned to one CPU, for this many kept
   * rounds (`flatOutTogether`, each of two mirrored halves): each generator's CPU per
   * request where its cost limits its rate. None when absent.
   */
  flatOutTogetherRounds?: number;
}

export interface GeneratorComparison<S extends string> {
  rate: number;
  pinning: string;
  /** Each side flat out, one after the other (information). */
  flatOut: MeasuredRound<Record<S, GeneratorResult>>[];
  /** Both sides at `rate` at once. */
  atRate: MeasuredRound<Record<S, GeneratorResult>>[];
  /** Both sides flat out at once (when the spec asks for it; else empty). */
  flatOutTogether: MeasuredRound<Record<S, GeneratorResult>>[];
}

/**
 * Two generators compared: each in a process of its own with a raw GET /menu target of its
 * own (target.ts), the generators on one CPU and the targets on the other. Flat out, each
 * runs alone in turn (its achieved rate, for information); at the fixed rate both run at
 * once, the targets swapped every round, and each reads its own CPU per request.
 */
export async function compareGenerators<S extends string>(
  ctx: BenchContext,
  spec: GeneratorComparisonSpec<S>,
): Promise<GeneratorComparison<S>> {
  const names = Object.keys(spec.sides) as S[];
  /** The sides' indexes, reversed on odd rounds. */
  const order = (reversed: boolean) => names.map((_, k) => (reversed ? names.length - 1 - k : k));
  const { connections, saturationS, saturationRounds, log } = ctx.options;
  const pinning = await Pinning.detect();
  const targets: BenchTarget[] = [];
  let generators: GeneratorProcess[] = [];
  try {
    for (const _ of names) targets.push(await ctx.startRaw('raw-menu'));
    generators = await startGenerators(names.length);
    for (const target of targets) await pinning.pinTarget(target.pid);
    for (const generator of generators) await pinning.pinGenerator(generator.pid);
    const job = (i: number, index: number, durationS: number, rate?: number): GeneratorJob => ({
      ...spec.sides[names[i]!],
      url: targets[(i + index) % targets.length]!.url,
      durationS,
      connections,
      runId: `bench-${spec.id}-${names[i]}-${index}`,
      ...(rate === undefined ? {} : { rate }),
    });
    // Flat out, the engine is offered three times the most requests any generator has
    // achieved so far (the surplus arrivals dropped, as k6 drops them): an offered rate far
    // above that would measure the cost of dropping arrivals, not of sending requests.
    let best = 0;
    const offer = (i: number) => (spec.sides[names[i]!].generator === 'engine' ? flatOutOffer(best) : undefined);
    /** Every side at once, each at `rateOf(i)` (undefined: flat out), in `reversed`'s order. */
    const together = async (index: number, reversed: boolean, rateOf: (i: number) => number | undefined) => {
      const sides = order(reversed);
      const results = await Promise.all(sides.map((i) => generators[i]!.run(job(i, index, spec.durationS, rateOf(i)))));
      return Object.fromEntries(sides.map((i, k) => [names[i]!, results[k]!])) as Record<S, GeneratorResult>;
    };
    const flatOut = await ctx.rounds(
      `${spec.label} flat out`,
      async (index, reversed) => {
        const results: Partial<Record<S, GeneratorResult>> = {};
        for (const i of order(reversed)) {
          const result = await generators[i]!.run(job(i, index, saturationS, offer(i)));
          best = Math.max(best, result.rps);
          results[names[i]!] = result;
        }
        return results as Record<S, GeneratorResult>;
      },
      { rounds: saturationRounds, warmup: 1 },
    );
    const slower = Math.min(...names.map((name) => median(flatOut.map((r) => r.result[name].rps))));
    // At the rate, all the generators share one CPU: each gets about its share of it.
    const rate = engineRate(ctx, spec.id, slower / names.length);
    log(`  ${spec.label}: each generator's CPU per request at ${rate} req/s, side by side`);
    const atRate = await ctx.rounds(
      `${spec.label} CPU per request`,
      (index, reversed) => together(index, reversed, () => rate),
      { rounds: spec.rounds, warmup: ctx.options.warmup },
    );
    // Flat out at once, each offered what it was offered alone (the engine three times the
    // best rate achieved alone, autocannon no rate at all). A round is two halves,
    // mirrored: the second starts the generators in the other order and swaps their
    // targets. Flat out, a half's ratio moved by up to 13% with which generator started
    // first and which target it drove, the same way in every round of a run and by a
    // different amount in the next run (two runs' medians over 18 single rounds: 1.074
    // and 1.033); a round of both halves holds both arrangements.
    const flatOutTogether = spec.flatOutTogetherRounds
      ? await ctx.rounds(
          `${spec.label} flat out together`,
          async (index, reversed) =>
            mergeHalves(await together(index, reversed, offer), await together(index + 1, !reversed, offer)),
          { rounds: spec.flatOutTogetherRounds, warmup: ctx.options.warmup },
        )
      : [];
    return {
      rate,
      pinning: pinning.description.replace('load generator', 'load generators'),
      flatOut,
      atRate,
      flatOutTogether,
    };
  } finally {
    await Promise.all([...generators.map((g) => g.stop()), ...targets.map((t) => t.stop())]);
  }
}

/**
 * Two halves of a round as one result per side: requests and failures added, CPU per
 * request and the rate over both halves' requests (each half weighs what it sent).
 */
export function mergeHalves<S extends string>(
  a: Record<S, GeneratorResult>,
  b: Record<S, GeneratorResult>,
): Record<S, GeneratorResult> {
  const merged = {} as Record<S, GeneratorResult>;
  // A half's seconds are its requests over its rate.
  const seconds = (r: GeneratorResult) => (r.rps > 0 ? r.requests / r.rps : 0);
  for (const side of Object.keys(a) as S[]) {
    const [x, y] = [a[side], b[side]];
    const requests = x.requests + y.requests;
    const per = (key: 'cpuUs' | 'mainCpuUs') =>
      requests === 0 ? 0 : (x[key] * x.requests + y[key] * y.requests) / requests;
    const totalSeconds = seconds(x) + seconds(y);
    merged[side] = {
      requests,
      rps: totalSeconds > 0 ? requests / totalSeconds : 0,
      cpuUs: per('cpuUs'),
      mainCpuUs: per('mainCpuUs'),
      pushFailures: x.pushFailures + y.pushFailures,
    };
  }
  return merged;
}

/** The engine's offered rate flat out: three times the best achieved so far, 30,000 req/s before any. */
export function flatOutOffer(best: number): number {
  return best > 0 ? Math.ceil(best * 3) : 30_000;
}

/**
 * A generator's arrival rate (req/s) when `--rates` names none. Two generators share one
 * CPU at this rate, about half of it: at 7000 each (about 0.9 of the CPU) they fell behind
 * their schedule in some rounds, and a generator behind schedule batches its sends.
 */
export const ENGINE_RATE = 4000;

/** Above this share of its saturation a generator's CPU per request is no longer the one of a steady load. */
const SATURATION_SHARE = 0.8;

/**
 * The fixed rate of figure `id`: `--rates ID=N`, else `ENGINE_RATE`, whatever this run's
 * throughput (a rate that followed it would not repeat from run to run: a generator's CPU
 * per request depends on the rate, how many requests share one wake-up); a warning when
 * `flatOut`, what the slower side could send with its share of the CPU, is too close to
 * it for a fair figure.
 */
export function engineRate(ctx: BenchContext, id: string, flatOut: number): number {
  const rate = ctx.options.rates?.[id] ?? ENGINE_RATE;
  if (rate > flatOut * SATURATION_SHARE)
    ctx.options.log(
      `  ${id}: warning: ${rate} req/s is above ${SATURATION_SHARE * 100}% of the saturation measured here ` +
        `(${Math.round(flatOut)} req/s): the machine is busy, the figure measures a generator near its limit`,
    );
  return rate;
}

/** A figure's rounds from a generator comparison's: `value` of each, and what each side measured. */
export function generatorRounds<S extends string>(
  rounds: MeasuredRound<Record<S, GeneratorResult>>[],
  value: (result: Record<S, GeneratorResult>) => number,
): Round[] {
  return rounds.map((r) => ({
    value: value(r.result),
    stealPct: r.stealPct,
    load1: r.load1,
    repeated: r.repeated,
    sides: Object.fromEntries(
      Object.entries<GeneratorResult>(r.result).map(([side, { rps, cpuUs, mainCpuUs }]) => [
        side,
        { rps, cpuUs, mainCpuUs },
      ]),
    ),
  }));
}
