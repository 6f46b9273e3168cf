/**
 * What the bench reads from Linux's /proc: a process's CPU time (whole process and main
 * thread), the machine's steal time, its CPU model. /proc/PID/stat counts in clock ticks
 * (1/100 s), too coarse for a few seconds of a light load; the scheduler's own total per
 * thread (`se.sum_exec_runtime` in /proc/PID/task/TID/sched, in ms to the ns) is used when
 * the kernel exposes it, the ticks otherwise, and both are kept.
 */
import { readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';

const TICK_US = 10_000;

export interface CpuTimes {
  /** user + system of every thread of the process, in µs. */
  processUs: number;
  /** user + system of the main thread, in µs. */
  mainUs: number;
  /** The same from /proc/PID/stat (ticks of 10 ms), in µs. */
  processTicksUs: number;
  mainTicksUs: number;
}

/** user + system from a /proc stat line (fields 14 and 15), in µs. */
export function statCpuMicros(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * TICK_US;
}

/** `se.sum_exec_runtime` of a /proc sched file, in µs; undefined when absent. */
export function schedRuntimeMicros(sched: string): number | undefined {
  const ms = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(sched)?.[1];
  return ms === undefined ? undefined : Number(ms) * 1000;
}

const read = (path: string) => readFile(path, 'utf8').catch(() => '');

async function threadRuntimeMicros(pid: number, tid: number): Promise<number | undefined> {
  return schedRuntimeMicros(await read(`/proc/${pid}/task/${tid}/sched`));
}

/** CPU time a process has used so far. Threads that ended are in the ticks, not the sched sum. */
export async function cpuTimes(pid: number): Promise<CpuTimes> {
  const [processStat, mainStat, tids] = await Promise.all([
    read(`/proc/${pid}/stat`),
    read(`/proc/${pid}/task/${pid}/stat`),
    readdir(`/proc/${pid}/task`).catch(() => [] as string[]),
  ]);
  const processTicksUs = statCpuMicros(processStat);
  const mainTicksUs = statCpuMicros(mainStat);
  const perThread = await Promise.all(tids.map((tid) => threadRuntimeMicros(pid, Number(tid))));
  const mainUs = await threadRuntimeMicros(pid, pid);
  const precise = perThread.length > 0 && perThread.every((us) => us !== undefined) && mainUs !== undefined;
  return {
    processUs: precise ? perThread.reduce((s: number, us) => s + us!, 0) : processTicksUs,
    mainUs: precise ? mainUs : mainTicksUs,
    processTicksUs,
    mainTicksUs,
  };
}

/** Resident memory of a process, in MB. */
export async function rssMb(pid: number): Promise<number> {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(await read(`/proc/${pid}/status`))?.[1] ?? 0);
  return kb / 1024;
}

export interface StealSnapshot {
  steal: number;
  total: number;
}

/** The machine's steal and total CPU time so far (first line of /proc/stat, in ticks). */
export function parseProcStat(text: string): StealSnapshot {
  const line = text.split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return { steal: ticks[7] ?? 0, total: ticks.reduce((s, t) => s + (Number.isFinite(t) ? t : 0), 0) };
}

export async function stealSnapshot(): Promise<StealSnapshot> {
  return parseProcStat(await read('/proc/stat'));
}

/** Steal as a percentage of all CPU time between two snapshots. */
export function stealPercent(before: StealSnapshot, after: StealSnapshot): number {
  const total = after.total - before.total;
  return total > 0 ? ((after.steal - before.steal) / total) * 100 : 0;
}

export function cpuModel(): string {
  return cpus()[0]?.model.trim() ?? 'unknown';
}
