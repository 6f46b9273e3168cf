/** Liveness, readiness, the Prometheus scrape and the fault-injection control endpoint. */
import { AppError, ErrorCodes, UnauthenticatedError } from '../errors.ts';
import { scopeOf, type RouteDeps, type Routes } from './context.ts';
import { readJson } from './body.ts';
import { reply, replyJson } from './reply.ts';
import { FaultRules } from './faults.ts';
import { parse } from './validation.ts';

export function registerOpsRoutes(routes: Routes, { storeOf, telemetry, faults }: RouteDeps): void {
  routes.get('/health', (c) => replyJson(c, { status: 'ok' }));

  routes.get('/ready', async (c) => {
    await storeOf(c).ping();
    return replyJson(c, { status: 'ready' });
  });

  routes.get('/metrics', async (c) => {
    if (!telemetry.prometheus)
      throw new AppError(
        404,
        ErrorCodes.NotFound,
        'The Prometheus exporter is off (COFFEE_METRICS_EXPORTER=prometheus turns it on)',
      );
    return reply(c, 200, await telemetry.prometheus(), { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  if (!faults) return;
  const control = (c: { req: { header(name: string): string | undefined } }) => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (!faults.authorize(token)) throw new UnauthenticatedError('The fault-control token is missing or wrong');
  };
  routes.get('/_chaos/faults', (c) => {
    control(c);
    return replyJson(c, { rules: faults.rules });
  });
  routes.put('/_chaos/faults', async (c) => {
    control(c);
    const { rules } = parse(FaultRules, await readJson(c));
    faults.set(rules);
    // Inside the request's scope, so the line carries its ids (see call-scope.ts).
    scopeOf(c).run(() => telemetry.logger.warn({ rules }, 'fault injection rules set'));
    return replyJson(c, { rules });
  });
  routes.delete('/_chaos/faults', (c) => {
    control(c);
    faults.clear();
    scopeOf(c).run(() => telemetry.logger.warn({}, 'fault injection kill switch: all rules cleared'));
    return replyJson(c, { rules: [] });
  });
}
