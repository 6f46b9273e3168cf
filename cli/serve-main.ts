/**
 * The entry point `bin/coffee.js` compiles for `coffee serve`: the `coffee` program with
 * the serve command alone, so the long-running service has no TypeScript loader resident
 * (see bin/compiled.js).
 */
import { coffeeProgram, runProgram } from './run.ts';
import { registerServeCommands } from './service-commands.ts';

export function main(argv: readonly string[]): Promise<number> {
  const program = coffeeProgram();
  registerServeCommands(program);
  return runProgram(program, argv);
}
