import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLoggers, type AccessFields } from './logger.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffee-logger-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const lines = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const request: AccessFields = {
  request_id: 'r-1',
  method: 'GET',
  route: '/menu',
  path: '/menu',
  status: 200,
  duration_ms: 1.5,
};

describe('the loggers', () => {
  it('buffers lines and writes them all on flush, access lines and event lines in order', async () => {
    const file = join(dir, 'service.log');
    const loggers = createLoggers({
      level: 'info',
      accessLevel: 'info',
      serviceName: 'svc',
      context: () => undefined,
      file,
    });
    try {
      loggers.logger.info({ step: 1 }, 'first');
      loggers.access!({ ...request });
      // A few hundred bytes stay in the 4 KiB buffer until a flush.
      expect(await lines(file)).toEqual([]);
      await loggers.flush();
      const written = await lines(file);
      expect(written.map((l) => l.message)).toEqual(['first', 'request']);
      expect(written[1]).toMatchObject({
        level: 'info',
        service: 'svc',
        request_id: 'r-1',
        route: '/menu',
        status: 200,
        duration_ms: 1.5,
      });
    } finally {
      loggers.close();
    }
  });

  it('writes buffered lines within about a second without a flush', async () => {
    const file = join(dir, 'quiet.log');
    const loggers = createLoggers({
      level: 'info',
      accessLevel: 'info',
      serviceName: 'svc',
      context: () => undefined,
      file,
    });
    try {
      loggers.logger.warn({}, 'lonely line');
      await expect.poll(() => lines(file), { timeout: 3_000, interval: 100 }).toHaveLength(1);
    } finally {
      loggers.close();
    }
  });

  it('masks e-mail addresses in the path of an unmatched route, and has no access logger when its level is off', async () => {
    const file = join(dir, 'mask.log');
    const loggers = createLoggers({
      level: 'info',
      accessLevel: 'info',
      serviceName: 'svc',
      context: () => undefined,
      file,
    });
    loggers.access!({
      ...request,
      route: 'unmatched',
      path: '/users/alice@example.com/orders',
      status: 404,
      error_code: 'not_found',
    });
    await loggers.flush();
    loggers.close();
    const [line] = await lines(file);
    expect(line?.path).toBe('/users/[email]/orders');
    expect(JSON.stringify(line)).not.toContain('alice@');

    const quiet = createLoggers({
      level: 'warn',
      accessLevel: 'info',
      serviceName: 'svc',
      context: () => undefined,
      file: join(dir, 'off.log'),
    });
    expect(quiet.access).toBeUndefined();
    quiet.close();
    const silent = createLoggers({
      level: 'info',
      accessLevel: 'silent',
      serviceName: 'svc',
      context: () => undefined,
      file: join(dir, 'off2.log'),
    });
    expect(silent.access).toBeUndefined();
    silent.close();
  });

  it('redacts secrets and adds the request context on event lines', async () => {
    const file = join(dir, 'redact.log');
    const loggers = createLoggers({
      level: 'info',
      accessLevel: 'info',
      serviceName: 'svc',
      context: () => ({ request_id: 'r-9', trace_id: 't-9' }),
      file,
    });
    loggers.logger.info({ authorization: 'Bearer abc.def.ghi', user: { email: 'bob@example.com' } }, 'with secrets');
    await loggers.flush();
    loggers.close();
    const [line] = await lines(file);
    expect(line).toMatchObject({
      authorization: '[redacted]',
      user: { email: '[redacted]' },
      request_id: 'r-9',
      trace_id: 't-9',
    });
  });

  it("keeps an event line's fields out of the request's context and its access line", async () => {
    const file = join(dir, 'leak.log');
    const fields = { request_id: 'r-5', trace_id: 't-5' };
    const loggers = createLoggers({
      level: 'info',
      accessLevel: 'info',
      serviceName: 'svc',
      context: () => fields,
      file,
    });
    loggers.logger.error({ err: new Error('no such user alice@example.com'), code: 'internal' }, 'request failed');
    loggers.access!({
      ...fields,
      ...({ err: 'smuggled', email: 'bob@example.com' } as object),
      method: 'GET',
      route: '/menu',
      path: '/menu',
      status: 500,
      duration_ms: 2,
      error_code: 'internal',
    });
    await loggers.flush();
    loggers.close();
    expect(fields).toEqual({ request_id: 'r-5', trace_id: 't-5' });
    const [error, access] = await lines(file);
    expect(JSON.stringify(error)).not.toContain('alice@');
    expect(Object.keys(access!).sort()).toEqual([
      'duration_ms',
      'error_code',
      'level',
      'message',
      'method',
      'path',
      'request_id',
      'route',
      'service',
      'status',
      'time',
      'trace_id',
    ]);
  });
});
