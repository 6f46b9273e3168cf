/**
 * The `coffee` command line. Each folder registers its own subcommands in its `cli.ts` (the
 * service's are here, as the service imports nothing of the toolkit); a subcommand's
 * action imports its implementation lazily, so `coffee --help` stays fast.
 */
import type { Command } from 'commander';
import { registerBuildCommands, registerServeCommands } from './service-commands.ts';
import { registerBenchCommands } from '../bench/cli.ts';
import { coffeeProgram, ExitCodes, runProgram } from './run.ts';
import { registerChaosCommands } from '../chaos/cli.ts';
import { registerLoadCommands } from '../loadtests/cli.ts';
import { registerDashboardsCommands } from '../dashboards/cli.ts';
import { registerAlarmsCommands, registerDashboardsPreviewCommand } from '../alarms/cli.ts';
import { registerInfraCommands } from '../infra/cli.ts';

export { ExitCodes };

export function buildProgram(): Command {
  const program = coffeeProgram();
  registerServeCommands(program);
  registerBuildCommands(program);
  registerBenchCommands(program);
  registerChaosCommands(program);
  registerLoadCommands(program);
  // `dashboards preview` needs the alarms' evaluator, above dashboards/ in the layers.
  registerDashboardsPreviewCommand(registerDashboardsCommands(program));
  registerAlarmsCommands(program);
  registerInfraCommands(program);
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export function main(argv: readonly string[]): Promise<number> {
  return runProgram(buildProgram(), argv);
}
