/** The implementation of `coffee load` (imported lazily by cli.ts). */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../cli/index.ts';
import type { LoadCommandOptions } from './cli.ts';
import { newRunId, runLoad, TargetUnreachableError, writeOutputs } from './run-load.ts';
import { DEFAULT_TOLERANCE, parseTolerance, type Tolerance } from './shared/baseline.ts';
import {
  isProfileName,
  PROFILE_NAMES,
  PROFILES,
  profileDurationS,
  scaleProfile,
  type ProfileName,
} from './shared/profiles.ts';
import { RESULT_SCHEMA_VERSION, type LoadResult } from './shared/result.ts';
import { formatSummary } from './shared/summary-text.ts';
import { capturedStackTelemetry, writeCapturedLoadReport } from './capture/load-run-capture.ts';
import { serviceEmfFileName } from './shared/outputs.ts';
import { RunCapture, type CaptureResult } from './capture/run-capture.ts';
import { traceLink } from './capture/trace-links.ts';
import type { Exemplar, ExemplarSet } from './capture/types.ts';
import { thresholdsFromSlos } from './shared/thresholds.ts';
import { expiryProblem, parseTokenPool, type TokenPool } from './shared/tokens.ts';

function parseThresholds(specs: readonly string[]): Record<string, number> {
  const overrides: Record<string, number> = {};
  for (const spec of specs) {
    const match = /^([\w.-]+)=(-?\d+(?:\.\d+)?)$/.exec(spec.trim());
    if (!match) throw new UsageError(`--threshold takes <id>=<number>, got "${spec}"`);
    overrides[match[1] as string] = Number(match[2]);
  }
  try {
    thresholdsFromSlos({ overrides });
  } catch (error) {
    throw new UsageError(`--threshold: ${(error as Error).message}`);
  }
  return overrides;
}

/** Reads `--tokens FILE`; a missing or malformed file is a usage error that names the field. */
async function readTokens(file: string): Promise<TokenPool> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--tokens ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  try {
    return parseTokenPool(text, `--tokens ${file}`);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function readBaseline(file: string): Promise<LoadResult> {
  let parsed: LoadResult;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as LoadResult;
  } catch (error) {
    throw new UsageError(`--baseline ${file}: ${(error as Error).message}`);
  }
  if (parsed?.schemaVersion !== RESULT_SCHEMA_VERSION || typeof parsed.runId !== 'string') {
    throw new UsageError(
      `--baseline ${file} is not a coffee load result.json (schema version ${RESULT_SCHEMA_VERSION})`,
    );
  }
  return parsed;
}

/** The run's settings from the options, each checked with a one-line `UsageError`. */
async function checkedSettings(profileName: ProfileName, options: LoadCommandOptions) {
  const thresholdOverrides = parseThresholds(options.threshold);
  let tolerance: Tolerance = DEFAULT_TOLERANCE;
  if (options.tolerance !== undefined) {
    try {
      tolerance = parseTolerance(options.tolerance);
    } catch (error) {
      throw new UsageError(`--tolerance: ${(error as Error).message}`);
    }
  }
  const baseline = options.baseline ? await readBaseline(options.baseline) : undefined;
  // The embedded service signs its own tokens with a key made at start, so a file's tokens
  // could never be valid there.
  if (options.tokens && !options.target)
    throw new UsageError('--tokens needs --target: the embedded service started for the run issues its own tokens');
  const tokens = options.tokens ? await readTokens(options.tokens) : undefined;
  if (tokens) {
    const scaled = scaleProfile(PROFILES[profileName], {
      ...(options.duration !== undefined ? { durationS: options.duration } : {}),
      ...(options.rate !== undefined ? { rate: options.rate } : {}),
    });
    const problem = expiryProblem(tokens, Date.now(), profileDurationS(scaled));
    if (problem) throw new UsageError(`--tokens ${options.tokens}: ${problem}`);
  }
  if (options.traceUrl !== undefined) {
    if (!options.target)
      throw new UsageError('--trace-url needs --target: without it the toolkit captures the traces itself');
    try {
      traceLink(options.traceUrl, '0'.repeat(32));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const runId = options.runId ?? newRunId();
  if (!/^[\w.-]{1,64}$/.test(runId))
    throw new UsageError(`--run-id must be 1 to 64 letters, digits, "_", "." or "-", got "${runId}"`);
  const out = options.out ?? path.join('out', 'load', runId);
  return { thresholdOverrides, tolerance, baseline, tokens, runId, out };
}

/**
 * The embedded service for a run without `--target`, with the trace capture: its spans and
 * traced log lines to the capture, its EMF and log lines into `out`.
 */
async function startCapturedStack(profileName: ProfileName, options: LoadCommandOptions, out: string, k6: boolean) {
  const { startLocalStack } = await import('../service/index.ts');
  process.stderr.write('starting the embedded service (no --target given) and the trace capture...\n');
  // k6 hands its exemplars over only at the end: hold every trace until then (the held cap still bounds memory).
  const scaled = scaleProfile(
    PROFILES[profileName],
    options.duration !== undefined ? { durationS: options.duration } : {},
  );
  const capture = await RunCapture.start(k6 ? { holdMs: (profileDurationS(scaled) + 120) * 1000 } : {});
  await mkdir(out, { recursive: true });
  await rm(path.join(out, serviceEmfFileName), { force: true });
  const serviceLogs = capturedStackTelemetry(capture, out);
  const stack = await startLocalStack({ rateLimit: false, telemetry: serviceLogs.telemetry });
  return { stack, capture, serviceLogs };
}

export async function loadCommand(profileName: string, options: LoadCommandOptions): Promise<void> {
  if (profileName === 'verdict') {
    const { verdictCommand } = await import('./prometheus/verdict-command.ts');
    return verdictCommand(options, parseThresholds(options.threshold));
  }
  if (!isProfileName(profileName))
    throw new UsageError(`unknown profile "${profileName}"; choose one of ${PROFILE_NAMES.join(', ')}`);
  const { thresholdOverrides, tolerance, baseline, tokens, runId, out } = await checkedSettings(profileName, options);
  if (options.instances !== undefined && options.instances > 1) {
    const { instancesCommand } = await import('./prometheus/instances.ts');
    return void (await instancesCommand(profileName, options, { runId, out, thresholdOverrides }));
  }
  const streaming =
    options.remoteWrite || options.instance
      ? (await import('./prometheus/streaming.ts')).streamingFor(options, runId, profileName)
      : undefined;

  // Find k6 before starting anything, so a missing binary costs nothing.
  const k6 = options.engine === 'k6' ? await import('./k6-runner.ts') : undefined;
  const k6Binary = k6 ? await k6.findK6() : undefined;
  if (k6 && !k6Binary) throw new UsageError(k6.K6_MISSING_MESSAGE);

  const local = options.target ? undefined : await startCapturedStack(profileName, options, out, Boolean(k6));
  const { stack, capture, serviceLogs } = local ?? {};
  const target = options.target ?? local!.stack.url;
  // The engine hands each exemplar over as it picks it, so the receiver keeps its trace.
  const exemplarHook: { onExemplar?: (e: Exemplar) => void } = capture ? { onExemplar: capture.keep } : {};
  process.stdout.write(
    `coffee load ${profileName}: run id ${runId}, engine ${options.engine}, target ${target}, out ${out}\n`,
  );

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result: LoadResult;
  try {
    if (k6 && k6Binary) {
      result = await k6.runK6({
        binary: k6Binary,
        target,
        profile: profileName,
        runId,
        seed: options.seed,
        out,
        ...(options.duration !== undefined ? { durationS: options.duration } : {}),
        ...(options.rate !== undefined ? { rate: options.rate } : {}),
        thresholdOverrides,
        ...(options.tokens ? { tokensFile: path.resolve(options.tokens) } : {}),
        signal: controller.signal,
      });
    } else {
      result = await runLoad({
        target,
        profile: profileName,
        runId,
        seed: options.seed,
        workers: options.workers,
        ...(options.duration !== undefined ? { durationS: options.duration } : {}),
        ...(options.rate !== undefined ? { rate: options.rate } : {}),
        ...(options.connections !== undefined ? { connections: options.connections } : {}),
        thresholdOverrides,
        ...(tokens ? { tokens } : {}),
        ...(streaming?.runOptions ?? {}),
        progress: options.progress,
        signal: controller.signal,
        ...exemplarHook,
      });
    }
  } catch (error) {
    await capture?.finish().catch(() => undefined);
    if (error instanceof TargetUnreachableError) throw new UsageError(error.message);
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await streaming?.close();
    await stack?.stop();
    await serviceLogs?.close();
  }
  let captured: CaptureResult | undefined;
  if (capture) {
    const { exemplars } = result as LoadResult & { exemplars?: ExemplarSet };
    captured = await capture.finish(exemplars ? { exemplars } : {});
  }

  if (baseline) {
    const { compareWithBaseline } = await import('./shared/baseline.ts');
    const { verdictOf } = await import('./shared/result.ts');
    result.baseline = compareWithBaseline(result, baseline, tolerance, options.baseline);
    result.verdict = verdictOf(result.thresholds, result.baseline);
  }
  const files = await writeOutputs(result, out);
  if (captured || options.traceUrl)
    await writeCapturedLoadReport(result, {
      out,
      ...(captured ? { capture: captured } : {}),
      ...(options.traceUrl ? { traceUrl: options.traceUrl } : {}),
    });
  process.stdout.write(`\n${formatSummary(result)}`);
  process.stdout.write(`\nwrote ${files.result}, ${files.junit}, ${files.report}\n`);
  if (result.verdict === 'fail') process.exitCode = 1;
}
