/**
 * CPU pinning for the CPU-per-request rounds (Linux, `taskset` from util-linux): the two
 * sides of a ratio on one CPU at the same time, what drives them on another.
 * - Left to the scheduler, whichever target happened to share a core with the generator
 *   paid for it in cache misses and wake-ups, a different one from round to round.
 * - Two processes sharing one CPU at the same time also share its noise. On this kind of
 *   VM the CPU time of identical work varies by ±10% from one process to the next (the
 *   host's other tenants, steal); two copies run at once on one CPU took within 1% of
 *   each other (docs/performance.md, "The method").
 * Without `taskset` or a second CPU nothing is pinned, and the figures say so in their details.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The CPUs this process may run on, or undefined without taskset. */
async function allowedCpus(): Promise<string | undefined> {
  try {
    const { stdout } = await run('taskset', ['-c', '-p', String(process.pid)]);
    return /:\s*([\d,-]+)\s*$/.exec(stdout.trim())?.[1];
  } catch {
    return undefined;
  }
}

/** Expands a CPU list such as `0-2,5` into [0, 1, 2, 5]. */
export function parseCpuList(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [from, to] = part.split('-').map(Number);
    if (to === undefined) return [from!];
    return Array.from({ length: to - from! + 1 }, (_, i) => from! + i);
  });
}

export class Pinning {
  readonly #original: string | undefined;
  readonly #client: number | undefined;
  readonly #targets: number | undefined;

  private constructor(original: string | undefined) {
    this.#original = original;
    const cpus = original ? parseCpuList(original) : [];
    if (cpus.length >= 2 && availableParallelism() >= 2) [this.#client, this.#targets] = [cpus[0], cpus[1]];
  }

  static async detect(): Promise<Pinning> {
    return new Pinning(await allowedCpus());
  }

  /** What a figure's details say about it. */
  get description(): string {
    return this.#targets === undefined
      ? 'not pinned (needs taskset and two CPUs)'
      : `targets on CPU ${this.#targets}, load generator on CPU ${this.#client}`;
  }

  /** True when targets and generators get CPUs of their own. */
  get pinned(): boolean {
    return this.#targets !== undefined;
  }

  /** Every thread of the process (threads it starts later inherit it). */
  async pinTarget(pid: number): Promise<void> {
    if (this.#targets !== undefined) await run('taskset', ['-a', '-p', '-c', String(this.#targets), String(pid)]);
  }

  /** A load generator's process, on the CPU the targets do not use. */
  async pinGenerator(pid: number): Promise<void> {
    if (this.#client !== undefined) await run('taskset', ['-a', '-p', '-c', String(this.#client), String(pid)]);
  }

  /**
   * Lanes for work that needs no generator (cold starts): each CPU a lane, a command run
   * in lane i pinned to its CPU (`command`); a single unpinned lane without pinning.
   */
  get lanes(): (number | undefined)[] {
    return this.#targets === undefined ? [undefined] : [this.#client, this.#targets];
  }

  /** `file` and `args` to run `command` on `cpu` (undefined: as it is). */
  static command(cpu: number | undefined, command: string, args: readonly string[]): [string, string[]] {
    return cpu === undefined ? [command, [...args]] : ['taskset', ['-c', String(cpu), command, ...args]];
  }

  async pinSelf(): Promise<void> {
    if (this.#client !== undefined) await run('taskset', ['-a', '-p', '-c', String(this.#client), String(process.pid)]);
  }

  async restoreSelf(): Promise<void> {
    if (this.#client !== undefined && this.#original)
      await run('taskset', ['-a', '-p', '-c', this.#original, String(process.pid)]);
  }
}
