/** Where a command writes: results to stdout, progress and problems to stderr (tests pass their own). */
import { ExitCodes } from './run.ts';

export interface CommandIo {
  /** Results (stdout). */
  out(line: string): void;
  /** Progress and problems (stderr). */
  err(line: string): void;
}

export const stdio: CommandIo = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

/** Writes each problem on a line of its own and returns the exit code: 1 when there is any. */
export function reportProblems(problems: readonly { where: string; message: string }[], io: CommandIo): number {
  for (const p of problems) io.err(`${p.where}: ${p.message}`);
  return problems.length ? ExitCodes.Failed : ExitCodes.Ok;
}
