/** `coffee load <profile>`: a load run with an SLO verdict, on the Node engine or k6. */
import type { Command } from 'commander';
import { parseIntOption, UsageError } from '../cli/usage-error.ts';
import { PROFILE_NAMES, PROFILES } from './shared/profiles.ts';

export interface LoadCommandOptions {
  target?: string;
  engine: 'autocannon' | 'k6';
  duration?: number;
  rate?: number;
  seed: number;
  out?: string;
  baseline?: string;
  tokens?: string;
  tolerance?: string;
  threshold: string[];
  workers: number;
  connections?: number;
  runId?: string;
  progress: boolean;
}

function parsePositive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number, got "${value}"`);
    return n;
  };
}

function parseEngine(value: string): 'autocannon' | 'k6' {
  if (value !== 'autocannon' && value !== 'k6') throw new UsageError(`--engine must be autocannon or k6, got "${value}"`);
  return value;
}

function parseTarget(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return url.origin;
  } catch {
    throw new UsageError(`--target must be an http(s) URL such as http://127.0.0.1:3000, got "${value}"`);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerLoadCommands(program: Command): void {
  program
    .command('load')
    .description('Run a load profile against the order service and judge it against the SLOs')
    .argument('<profile>', `one of: ${PROFILE_NAMES.join(', ')}`)
    .option('--target <url>', 'service to load (default: start the embedded service and stop it afterwards)', parseTarget)
    .option('--engine <engine>', 'autocannon (Node, built in) or k6 (needs k6 v1+ on PATH)', parseEngine, 'autocannon')
    .option('--duration <seconds>', "stretch or shrink the profile's stages to this total", parsePositive('--duration'))
    .option('--rate <journeys/s>', "scale the profile's arrival rates so the peak is this", parsePositive('--rate'))
    .option('--seed <n>', 'seed of the journeys and their data', parseIntOption('--seed', 0, 0xffffffff), 1)
    .option('--out <dir>', 'where result.json, junit.xml and report.html go (default out/load/<run id>)')
    .option('--baseline <file>', 'an earlier result.json to compare with (p95 and throughput per route group)')
    .option('--tokens <file>', 'pre-issued tokens for a target with an external issuer such as Cognito: JSON {"customers": [...], "baristas": [...]} (needs --target)')
    .option('--tolerance <spec>', 'allowed regression against the baseline: 0.1, 10%, or p95=0.2,throughput=0.05 (default 10% each)')
    .option('--threshold <id=limit>', 'replace a threshold limit, e.g. menu-read-latency=50 (repeatable)', collect, [])
    .option('--workers <n>', 'engine worker threads (autocannon engine; 0 = in the main thread)', parseIntOption('--workers', 0, 64), 1)
    .option('--connections <n>', 'sockets to the target (autocannon engine; default: the profile\'s max VUs, at most 256)', parseIntOption('--connections', 1, 10_000))
    .option('--run-id <id>', 'run id to use (sent as x-load-run-id and in baggage)')
    .option('--no-progress', 'no progress on stderr while running')
    .addHelpText(
      'after',
      [
        '',
        'Profiles (journeys per second over time; an open model):',
        ...PROFILE_NAMES.map((name) => `  ${name.padEnd(11)} ${PROFILES[name].description}`),
        '',
        'Exit codes: 0 every threshold passed; 1 a threshold or the baseline comparison failed;',
        '2 a usage error or an unreachable target (or no k6 on PATH with --engine k6).',
      ].join('\n'),
    )
    .action(async (profile: string, options: LoadCommandOptions) => {
      const { loadCommand } = await import('./load-command.ts');
      await loadCommand(profile, options);
    });
}
