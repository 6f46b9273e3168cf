/** `coffee chaos list|run` and `coffee demo`. */
import type { Command } from 'commander';
import { UsageError } from '../cli/index.ts';

function parseSeed(value: string): number {
  if (!/^\d{1,10}$/.test(value.trim()) || Number(value) > 0xffffffff)
    throw new UsageError(`--seed must be an integer from 0 to 4294967295, got "${value}"`);
  return Number(value);
}

function parseTimeScale(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 10)
    throw new UsageError(`--time-scale must be a number in (0, 10], got "${value}"`);
  return n;
}

function parseUrl(name: string) {
  return (value: string): string => {
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
      return url.toString().replace(/\/$/, '');
    } catch {
      throw new UsageError(`${name} must be an http(s) URL, got "${value}"`);
    }
  };
}

interface RunCommandOptions {
  seed: number;
  out?: string;
  target?: string;
  timeScale: number;
  faultToken?: string;
  dynamoEndpoint?: string;
  table?: string;
  traceUrl?: string;
  load: boolean;
  unsafeNoIdempotency: boolean;
  json: boolean;
  history: string;
}

const HISTORY_HELP =
  'what stands in front of the run when the alarms are evaluated: "steady" (the run\'s steady state before the first fault, over the longest alarm window), "none" (a cold start), or a FILE of EMF lines or a CloudWatch GetMetricData export (see chaos/README.md)';

export function registerChaosCommands(program: Command): void {
  const chaos = program
    .command('chaos')
    .description(
      'Fault injection: the fault catalog and experiments (steady state, faults under load, invariants, report)',
    );

  chaos
    .command('list')
    .description('List the experiments and the fault catalog')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      const { listText, listJson } = await import('./list.ts');
      process.stdout.write(options.json ? `${JSON.stringify(listJson(), null, 2)}\n` : listText());
    });

  chaos
    .command('run')
    .description(
      'Run an experiment; writes DIR/journal.json and DIR/report.html. Exit 0 when the hypothesis and every invariant held, 1 otherwise',
    )
    .argument('<experiment>', 'experiment name (see `coffee chaos list`)')
    .option('--seed <n>', 'seed of the fault decisions, the random schedule and the workloads', parseSeed, 1)
    .option('--out <dir>', 'output directory (default out/chaos/<experiment>)')
    .option(
      '--target <url>',
      'run against a service already running there (service-layer experiments only)',
      parseUrl('--target'),
    )
    .option('--time-scale <f>', 'multiply every duration (0.1 runs a tenth as long)', parseTimeScale, 1)
    .option('--fault-token <token>', "the target's fault-control token (default: env COFFEE_FAULT_TOKEN)")
    .option(
      '--dynamo-endpoint <url>',
      "the target's DynamoDB endpoint, to check the invariants against its store",
      parseUrl('--dynamo-endpoint'),
    )
    .option('--table <name>', "the target's table name (with --dynamo-endpoint)")
    .option(
      '--trace-url <template>',
      "with --target: link each exemplar to your trace backend, e.g. 'http://localhost:16686/trace/{traceId}'",
    )
    .option('--no-load', 'skip the load-test engine: only the audited order workload and the probes send traffic')
    .option(
      '--unsafe-no-idempotency',
      'run against a deliberately broken service (a fresh order id per request) to watch the invariants catch it',
      false,
    )
    .option('--json', 'print the journal summary as JSON on stdout', false)
    .option('--history <steady|none|FILE>', HISTORY_HELP, 'steady')
    .addHelpText(
      'after',
      '\nExit codes: 0 the hypothesis and every invariant held; 1 one did not, or an abort condition tripped; 2 usage error or unreachable target.',
    )
    .action(async (name: string, options: RunCommandOptions) => {
      const { runExperimentCommand } = await import('./run-command.ts');
      process.exitCode = await runExperimentCommand(name, {
        ...options,
        // Only the CLI entry reads the environment.
        faultToken: options.faultToken ?? process.env.COFFEE_FAULT_TOKEN,
      });
    });

  program
    .command('demo')
    .description(
      'The one-command demo: the embedded stack under the average load with one DynamoDB fault window; prints the verdict and the invariants, writes the report and the dashboards (about a minute)',
    )
    .option('--out <dir>', 'output directory', 'out/demo')
    .option('--seed <n>', 'seed of the run', parseSeed, 1)
    .option('--history <steady|none|FILE>', HISTORY_HELP, 'steady')
    .addHelpText(
      'after',
      '\nExit codes: 0 the service held up; 1 an invariant or the hypothesis failed; 2 usage error.',
    )
    .action(async (options: { out: string; seed: number; history: string }) => {
      const { runDemo } = await import('./demo.ts');
      const { resolveHistory, HistoryFileError } = await import('./alarm-timeline.ts');
      const history = await resolveHistory(options.history).catch((error: unknown) => {
        throw error instanceof HistoryFileError ? new UsageError(error.message) : error;
      });
      process.exitCode = await runDemo({
        out: options.out,
        seed: options.seed,
        history,
        log: (line) => process.stderr.write(`${line}\n`),
        print: (text) => process.stdout.write(text),
      });
    });
}
