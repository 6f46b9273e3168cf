/** Runs a `coffee` command line and turns its outcome into an exit code. */
import { Command, CommanderError } from 'commander';
import { UsageError } from './usage-error.ts';

export const ExitCodes = {
  Ok: 0,
  /** A check failed: a threshold, an invariant, a lint rule, a diff. */
  Failed: 1,
  /** The command was used wrongly, or its target could not be reached. */
  Usage: 2,
} as const;

/** The `coffee` program, with no commands yet; usage errors throw instead of exiting. */
export function coffeeProgram(): Command {
  return new Command('coffee')
    .description('Coffee Cloud toolkit: the order service, load tests, dashboards, alarms, fault injection and infra')
    .showHelpAfterError()
    .exitOverride();
}

/** Parses `argv` with a `coffeeProgram()` and resolves to the exit code. */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCodes.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage mistakes with 2.
      return error.exitCode === 0 ? ExitCodes.Ok : ExitCodes.Usage;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`coffee: ${error.message}\n`);
      return ExitCodes.Usage;
    }
    throw error;
  }
}
