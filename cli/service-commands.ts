/** `coffee serve` and `coffee build-lambda`: the order service on this machine, and its Lambda bundle. */
import type { Command } from 'commander';
import { parseIntOption, UsageError } from './usage-error.ts';

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description(
      'Run the order service (embedded DynamoDB unless COFFEE_DYNAMODB_ENDPOINT or COFFEE_STORE=aws says otherwise)',
    )
    .option('--port <port>', 'port to listen on (0 picks a free one)', parseIntOption('--port', 0, 65535), 3000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'keep the embedded store and dev keys on disk here (in memory when absent)')
    .option('--faults', 'enable the fault-injection control endpoint (needs COFFEE_FAULT_TOKEN)', false)
    .addHelpText('after', '\nConfiguration comes from environment variables; see the README ("Configuration").')
    .action(async (options: { port: number; host: string; dataDir?: string; faults: boolean }) => {
      const { serve } = await import('../service/index.ts');
      const env = { ...process.env, ...(options.faults ? { COFFEE_FAULTS: 'true' } : {}) };
      await serve({
        env,
        port: options.port,
        host: options.host,
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      }).catch((error: unknown) => {
        if ((error as Error).name === 'ConfigError' || (error as NodeJS.ErrnoException).code === 'EADDRINUSE')
          throw new UsageError((error as Error).message);
        throw error;
      });
    });
}

export function registerBuildCommands(program: Command): void {
  program
    .command('build-lambda')
    .description('Bundle the Lambda handler with esbuild (ESM, Node.js 24, minified, source map) and report its size')
    .option('--out <dir>', 'output directory', 'out/lambda')
    .action(async (options: { out: string }) => {
      const { buildLambdaBundle } = await import('../service/index.ts');
      const bundle = await buildLambdaBundle({ outdir: options.out });
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      process.stdout.write(
        `${bundle.file}: ${kib(bundle.bytes)} (AWS SDK external: provided by the runtime)\nlargest inputs:\n`,
      );
      for (const input of bundle.largest) process.stdout.write(`  ${kib(input.bytes).padStart(10)}  ${input.path}\n`);
    });
}
