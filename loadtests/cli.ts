/**
 * `coffee load <profile>`: a load run with an SLO verdict, on the Node engine or k6; and
 * `coffee load-tokens`: its `--tokens` file, minted from a Cognito user pool.
 */
import type { Command } from 'commander';
import { parseIntOption, UsageError } from '../cli/index.ts';
import type { LoadTokensIo, LoadTokensOptions } from './load-tokens-command.ts';
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
  /** Engine processes that split the run, judged as one through Prometheus. */
  instances?: number;
  /** Prometheus to judge from (and, with --instances, to write to). */
  prometheus?: string;
  /** `load verdict`: the profile that ran. */
  profile?: string;
  /** Node engine: stream to this remote-write URL while running. */
  remoteWrite?: string;
  /** Node engine: this process's share of the arrivals, `i/n`. */
  instance?: string;
  traceUrl?: string;
}

function parsePositive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number, got "${value}"`);
    return n;
  };
}

function parseEngine(value: string): 'autocannon' | 'k6' {
  if (value !== 'autocannon' && value !== 'k6')
    throw new UsageError(`--engine must be autocannon or k6, got "${value}"`);
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

function parseUrl(name: string) {
  return (value: string): string => {
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
      return url.href.replace(/\/+$/, '');
    } catch {
      throw new UsageError(`${name} must be an http(s) URL such as http://127.0.0.1:9090, got "${value}"`);
    }
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerLoadCommands(program: Command): void {
  program
    .command('load')
    .description('Run a load profile against the order service and judge it against the SLOs')
    .argument('<profile>', `one of: ${PROFILE_NAMES.join(', ')}; or "verdict" to judge a run from Prometheus`)
    .option(
      '--target <url>',
      'service to load (default: start the embedded service and stop it afterwards)',
      parseTarget,
    )
    .option('--engine <engine>', 'autocannon (Node, built in) or k6 (needs k6 v1+ on PATH)', parseEngine, 'autocannon')
    .option('--duration <seconds>', "stretch or shrink the profile's stages to this total", parsePositive('--duration'))
    .option('--rate <journeys/s>', "scale the profile's arrival rates so the peak is this", parsePositive('--rate'))
    .option('--seed <n>', 'seed of the journeys and their data', parseIntOption('--seed', 0, 0xffffffff), 1)
    .option('--out <dir>', 'where result.json, junit.xml and report.html go (default out/load/<run id>)')
    .option('--baseline <file>', 'an earlier result.json to compare with (p95 and throughput per route group)')
    .option(
      '--tokens <file>',
      'pre-issued tokens for a target with an external issuer such as Cognito: JSON {"customers": [...], "baristas": [...]} (needs --target)',
    )
    .option(
      '--tolerance <spec>',
      'allowed regression against the baseline: 0.1, 10%, or p95=0.2,throughput=0.05 (default 10% each)',
    )
    .option('--threshold <id=limit>', 'replace a threshold limit, e.g. menu-read-latency=50 (repeatable)', collect, [])
    .option(
      '--workers <n>',
      'engine worker threads (autocannon engine; 0 = in the main thread)',
      parseIntOption('--workers', 0, 64),
      1,
    )
    .option(
      '--connections <n>',
      "sockets to the target (autocannon engine; default: the profile's max VUs, at most 256)",
      parseIntOption('--connections', 1, 10_000),
    )
    .option('--run-id <id>', 'run id to use (sent as x-load-run-id and in baggage)')
    .option(
      '--trace-url <template>',
      "with --target: link each exemplar to your trace backend, e.g. 'http://localhost:16686/trace/{traceId}' ({xrayTraceId} for X-Ray)",
    )
    .option('--no-progress', 'no progress on stderr while running')
    .option(
      '--instances <n>',
      'split the run over N engine processes that remote-write to Prometheus; one verdict from Prometheus',
      parseIntOption('--instances', 1, 64),
    )
    .option(
      '--prometheus <url>',
      'Prometheus to judge from (verdict; with --instances also to write to; default: start one from PATH)',
      parseUrl('--prometheus'),
    )
    .option('--profile <name>', 'verdict: the profile that ran (default: the profile label the runners wrote)')
    .option(
      '--remote-write <url>',
      'autocannon engine: stream metrics to this Prometheus remote-write URL (k6 names, native histograms)',
      parseUrl('--remote-write'),
    )
    .option('--instance <i/n>', 'autocannon engine: run instance i (from 0) of n, taking every n-th arrival')
    .addHelpText(
      'after',
      [
        '',
        'Profiles (journeys per second over time; an open model):',
        ...PROFILE_NAMES.map((name) => `  ${name.padEnd(11)} ${PROFILES[name].description}`),
        '',
        'Exit codes: 0 every threshold passed; 1 a threshold or the baseline comparison failed;',
        '2 a usage error or an unreachable target (or no k6 on PATH with --engine k6).',
        '',
        'Distributed: coffee load average --instances 2 [--prometheus URL] runs 2 engine processes and judges',
        'them as one; coffee load verdict --prometheus URL --run-id ID [--profile P] judges a run that',
        'k6-operator runners (or anything with the same names) remote-wrote. Exit 2 also when Prometheus is',
        'unreachable, holds no samples for the run id, or has no remote-write receiver.',
      ].join('\n'),
    )
    .action(async (profile: string, options: LoadCommandOptions) => {
      const { loadCommand } = await import('./load-command.ts');
      await loadCommand(profile, options);
    });
  registerLoadTokensCommand(program);
}

function stdio(): LoadTokensIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    ...(process.stderr.isTTY ? { rewrite: (line: string) => process.stderr.write(`\r${line}\x1b[K`) } : {}),
  };
}

/**
 * A top-level command rather than `load tokens`: a subcommand of `load` would have its
 * options parsed by `load` first (`--out` is one of both), and `load` takes a profile.
 */
function registerLoadTokensCommand(program: Command): void {
  program
    .command('load-tokens')
    .description(
      'Mint the --tokens file of `coffee load` from a Cognito user pool (synthetic customers and baristas, created or reused)',
    )
    .option('--user-pool-id <id>', 'the user pool (the UserPoolId output of the CoffeeService stack); required')
    .option(
      '--client-id <id>',
      'its app client, which must allow ADMIN_USER_PASSWORD_AUTH (the UserPoolClientId output); required unless --delete',
    )
    .option('--region <region>', 'AWS region (default: the one the user pool id starts with)')
    .option('--customers <n>', 'customer users and tokens', parseIntOption('--customers', 1, 1000), 20)
    .option(
      '--baristas <n>',
      'barista users (in the barista group) and tokens',
      parseIntOption('--baristas', 1, 1000),
      2,
    )
    .option(
      '--prefix <prefix>',
      'users are <prefix>-customer-<n>@<domain> and <prefix>-barista-<n>@<domain>',
      'coffee-load',
    )
    .option('--domain <domain>', 'e-mail domain of the users (no e-mail is sent)', 'load.example.com')
    .option('--out <file>', 'the tokens file, written with mode 0600', 'tokens.json')
    .option('--delete', 'delete the users of this prefix and these counts instead of minting (after a run)')
    .addHelpText(
      'after',
      [
        '',
        'Example:',
        '  coffee load-tokens --user-pool-id eu-west-1_AbC123xyz --client-id 1example23456789 --customers 50',
        '  coffee load average --target "$API_URL" --tokens tokens.json',
        '  coffee load-tokens --user-pool-id eu-west-1_AbC123xyz --customers 50 --delete',
        '',
        'Users are created without an invitation (or reused), get a fresh random password each run',
        '(never shown or stored) and sign in with ADMIN_USER_PASSWORD_AUTH. Access tokens live 1 hour.',
        'AWS credentials come from the standard chain and need cognito-idp:AdminCreateUser,',
        'AdminSetUserPassword, AdminAddUserToGroup, AdminInitiateAuth and AdminDeleteUser on the pool.',
        '',
        'Exit codes: 0 done; 2 a usage error or an AWS failure (one line naming the pool and what to check).',
      ].join('\n'),
    )
    .action(async (options: LoadTokensOptions) => {
      const { loadTokensCommand } = await import('./load-tokens-command.ts');
      await loadTokensCommand(options, stdio());
    });
}
