/** Liveness, readiness, the Prometheus scrape and the fault-injection control endpoint. */
import type { Hono } from 'hono';
import { AppError, ErrorCodes, UnauthenticatedError } from '../errors.ts';
import type { AppDeps, AppEnv } from './app.ts';
import { readJson } from './body.ts';
import { FaultRules } from './faults.ts';
import { parse } from './validation.ts';

export function registerOpsRoutes(app: Hono<AppEnv>, { store, telemetry, faults }: AppDeps): void {
  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.get('/ready', async (c) => {
    await store.ping();
    return c.json({ status: 'ready' });
  });

  app.get('/metrics', async (c) => {
    if (!telemetry.prometheus) throw new AppError(404, ErrorCodes.NotFound, 'The Prometheus exporter is off (COFFEE_METRICS_EXPORTER=prometheus turns it on)');
    return c.body(await telemetry.prometheus(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  if (!faults) return;
  const control = (c: { req: { header(name: string): string | undefined } }) => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (!faults.authorize(token)) throw new UnauthenticatedError('The fault-control token is missing or wrong');
  };
  app.get('/_chaos/faults', (c) => {
    control(c);
    return c.json({ rules: faults.rules });
  });
  app.put('/_chaos/faults', async (c) => {
    control(c);
    const { rules } = parse(FaultRules, await readJson(c));
    faults.set(rules);
    telemetry.logger.warn({ rules }, 'fault injection rules set');
    return c.json({ rules });
  });
  app.delete('/_chaos/faults', (c) => {
    control(c);
    faults.clear();
    telemetry.logger.warn({}, 'fault injection kill switch: all rules cleared');
    return c.json({ rules: [] });
  });
}
