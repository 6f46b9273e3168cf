/**
 * Runs before each test file. Test files share worker processes (`isolate: false` in
 * vitest.config.ts), so what a file changes in the process's global state is put back
 * when it ends: the environment, the exit code, the signal handlers it added, and
 * OpenTelemetry's global providers (a second registration would otherwise be refused).
 */
import { context, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { afterAll } from 'vitest';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const env = { ...process.env };
const handlers = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));

afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
  process.exitCode = undefined;
  for (const signal of SIGNALS)
    for (const handler of process.listeners(signal))
      if (!handlers.get(signal)!.has(handler)) process.off(signal, handler as NodeJS.SignalsListener);
  trace.disable();
  context.disable();
  propagation.disable();
  metrics.disable();
  diag.disable();
});
