/**
 * The `coffee` command line. Each folder registers its own subcommands; a subcommand's
 * action imports its implementation lazily, so `coffee --help` stays fast.
 */
import { Command, CommanderError } from 'commander';
import { registerBuildCommands, registerServeCommands } from '../service/cli.ts';
import { registerBenchCommands } from '../bench/cli.ts';
import { UsageError } from './usage-error.ts';
import { registerChaosCommands } from '../chaos/cli.ts';
import { registerLoadCommands } from '../loadtests/cli.ts';
import { registerDashboardsCommands } from '../dashboards/cli.ts';
import { registerAlarmsCommands } from '../alarms/cli.ts';
import { registerInfraCommands } from '../infra/cli.ts';
// <register-imports> (one line per folder: `import { register<X>Commands } from '../<folder>/cli.ts';`)

export const ExitCodes = {
  Ok: 0,
  /** A check failed: a threshold, an invariant, a lint rule, a diff. */
  Failed: 1,
  /** The command was used wrongly, or its target could not be reached. */
  Usage: 2,
} as const;

export function buildProgram(): Command {
  const program = new Command('coffee')
    .description('Coffee Cloud toolkit: the order service, load tests, dashboards, alarms, fault injection and infra')
    .showHelpAfterError()
    .exitOverride();
  registerServeCommands(program);
  registerBuildCommands(program);
  registerBenchCommands(program);
  registerChaosCommands(program);
  registerLoadCommands(program);
  registerDashboardsCommands(program);
  registerAlarmsCommands(program);
  registerInfraCommands(program);
  // <register-calls> (one line per folder)
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
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
