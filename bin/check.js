#!/usr/bin/env node
// The static checks of `npm test`, two chains at once. Each check is a single-threaded
// process (tsc, eslint, prettier), so run one after another they leave a core of a 2-core
// CI machine idle for most of a minute. A check's output is printed whole when it ends, so
// the two chains' lines do not interleave; the exit code is 1 if any check failed.
import { spawn } from 'node:child_process';

/** npm scripts; the chains run side by side, the scripts of a chain in order. */
const CHAINS = [['typecheck', 'typecheck:k6'], ['lint']];

function run(script) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', (error) => resolve({ script, ok: false, output: `${error.message}\n`, started }));
    child.once('close', (code) => resolve({ script, ok: code === 0, output, started }));
  }).then(({ script, ok, output, started }) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} npm run ${script} (${seconds} s)\n${output}`);
    return ok;
  });
}

async function chain(scripts) {
  let ok = true;
  // A failed check does not stop its chain: every failure is reported in one go.
  for (const script of scripts) ok = (await run(script)) && ok;
  return ok;
}

const results = await Promise.all(CHAINS.map(chain));
process.exitCode = results.every(Boolean) ? 0 : 1;
