/**
 * The k6 runner's plumbing, with a stand-in `k6` executable (a real child process) since
 * no k6 binary can be installed here: the arguments it passes, and how k6's exit codes
 * and files map to the command's result.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../cli/index.ts';
import { findK6, K6_SCRIPT, runK6 } from './k6-runner.ts';
import { K6_OUTPUT_FILE } from './k6-runner-output.ts';
import { K6_AGGREGATE_NOTE } from './k6/summary.ts';
import type { Exemplar } from './shared/exemplars.ts';

let dir: string;
let fake: string;

// Writes its arguments next to COFFEE_OUT, copies $FAKE_RESULT to COFFEE_OUT/result.json and
// $FAKE_OUTPUT to the --out json= file when set, exits $FAKE_EXIT.
const FAKE_K6 = `#!/bin/sh
out=""
json=""
for arg in "$@"; do
  case "$arg" in
    COFFEE_OUT=*) out="\${arg#COFFEE_OUT=}" ;;
    json=*) json="\${arg#json=}" ;;
  esac
done
printf '%s\\n' "$@" > "$out/args.txt"
if [ -n "$FAKE_RESULT" ]; then cp "$FAKE_RESULT" "$out/result.json"; fi
if [ -n "$FAKE_OUTPUT" ]; then cp "$FAKE_OUTPUT" "$json"; fi
exit "\${FAKE_EXIT:-0}"
`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'coffee-k6-'));
  fake = path.join(dir, 'bin', 'k6');
  await mkdir(path.dirname(fake));
  await writeFile(fake, FAKE_K6);
  await chmod(fake, 0o755);
  await writeFile(
    path.join(dir, 'pass.json'),
    JSON.stringify({ schemaVersion: 1, runId: 'r', verdict: 'pass', thresholds: [] }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the k6 runner', () => {
  it('finds k6 on PATH, and nothing when it is not there', async () => {
    expect(await findK6(`${path.join(dir, 'nowhere')}${path.delimiter}${path.dirname(fake)}`)).toBe(fake);
    expect(await findK6(path.join(dir, 'nowhere'))).toBeUndefined();
  });

  it('runs the script with the settings as --env and reads the result handleSummary wrote', async () => {
    const out = path.join(dir, 'ok');
    process.env.FAKE_RESULT = path.join(dir, 'pass.json');
    try {
      const result = await runK6({
        binary: fake,
        target: 'http://127.0.0.1:9',
        profile: 'spike',
        runId: 'r',
        seed: 3,
        out,
        rate: 7,
        thresholdOverrides: { checks: 0.5 },
        tokensFile: '/abs/tokens.json',
      });
      expect(result.verdict).toBe('pass');
    } finally {
      delete process.env.FAKE_RESULT;
    }
    const args = (await readFile(path.join(out, 'args.txt'), 'utf8')).trim().split('\n');
    expect(args[0]).toBe('run');
    expect(args.slice(1, 3)).toEqual(['--out', `json=${path.join(out, K6_OUTPUT_FILE)}`]);
    expect(args.at(-1)).toBe(K6_SCRIPT);
    expect(args).toEqual(
      expect.arrayContaining([
        'COFFEE_TARGET=http://127.0.0.1:9',
        'COFFEE_PROFILE=spike',
        'COFFEE_RUN_ID=r',
        'COFFEE_SEED=3',
        'COFFEE_RATE=7',
        `COFFEE_OUT=${out}`,
        'COFFEE_THRESHOLDS={"checks":0.5}',
        'COFFEE_TOKENS_FILE=/abs/tokens.json',
      ]),
    );
  });

  it("turns k6's exit 99 (a threshold failed) into a failed verdict", async () => {
    process.env.FAKE_RESULT = path.join(dir, 'pass.json');
    process.env.FAKE_EXIT = '99';
    try {
      const result = await runK6({
        binary: fake,
        target: 'http://127.0.0.1:9',
        profile: 'smoke',
        runId: 'r',
        seed: 1,
        out: path.join(dir, 'failed'),
      });
      expect(result.verdict).toBe('fail');
    } finally {
      delete process.env.FAKE_RESULT;
      delete process.env.FAKE_EXIT;
    }
  });

  it('reports an unreachable target when setup aborted the test (exit 108), even if handleSummary wrote a result', async () => {
    process.env.FAKE_EXIT = '108';
    process.env.FAKE_RESULT = path.join(dir, 'pass.json');
    try {
      const run = runK6({
        binary: fake,
        target: 'http://127.0.0.1:9',
        profile: 'smoke',
        runId: 'r',
        seed: 1,
        out: path.join(dir, 'aborted'),
      });
      await expect(run).rejects.toBeInstanceOf(UsageError);
      await expect(run).rejects.toThrow(/is unreachable or the script failed/);
    } finally {
      delete process.env.FAKE_EXIT;
      delete process.env.FAKE_RESULT;
    }
  });

  it("adds the timeline and exemplars from k6's JSON output, and says so when there is none", async () => {
    const fixture = fileURLToPath(new URL('./k6/fixtures/metadata-out.json.gz', import.meta.url));
    // The fixture run's own times: its first request answered at 06:53:51.1.
    const summary = {
      schemaVersion: 1,
      runId: 'r',
      engine: 'k6',
      profile: 'smoke',
      startedAt: '2026-12-06T06:53:51.000Z',
      durationMs: 4_000,
      verdict: 'pass',
      thresholds: [],
      timeline: { bucketMs: 1000, buckets: [] },
      notes: [K6_AGGREGATE_NOTE],
    };
    await writeFile(path.join(dir, 'summary.json'), JSON.stringify(summary));
    process.env.FAKE_RESULT = path.join(dir, 'summary.json');
    process.env.FAKE_OUTPUT = fixture;
    const announced: Exemplar[] = [];
    const base = { binary: fake, target: 'http://127.0.0.1:9', profile: 'smoke', runId: 'r', seed: 1 };
    try {
      const result = await runK6({ ...base, out: path.join(dir, 'series'), onExemplar: (e) => announced.push(e) });
      expect(result.timeline.buckets.reduce((n, b) => n + b.requests, 0)).toBe(16);
      expect(result.exemplars!.items.length).toBeGreaterThan(0);
      expect(announced).toEqual(result.exemplars!.items);
      expect(result.routes).toHaveProperty(['GET /menu']);
      expect(result.notes.join(' ')).toMatch(/from k6's JSON output \(k6-out\.json\.gz, 16 requests\)/);
      expect(result.notes).not.toContain(K6_AGGREGATE_NOTE);
      delete process.env.FAKE_OUTPUT;
      const without = await runK6({ ...base, out: path.join(dir, 'no-series') });
      expect(without.timeline.buckets).toEqual([]);
      expect(without.notes.join(' ')).toMatch(/k6-out\.json\.gz could not be read/);
    } finally {
      delete process.env.FAKE_RESULT;
      delete process.env.FAKE_OUTPUT;
    }
  });
});
