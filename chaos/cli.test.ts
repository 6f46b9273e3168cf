import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main.ts';

const argv = (...args: string[]) => ['node', 'coffee', ...args];
let healthy: http.Server;
let healthyUrl: string;

beforeAll(async () => {
  // A target that answers GET /health, so the checks after reachability run.
  healthy = http.createServer((req, res) =>
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' }).end('{"status":"ok"}'),
  );
  await new Promise<void>((resolve) => healthy.listen(0, '127.0.0.1', resolve));
  healthyUrl = `http://127.0.0.1:${(healthy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => healthy.close(() => resolve()));
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

function capture() {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  return { out: () => out, err: () => err };
}

describe('coffee chaos', () => {
  it('list prints every experiment and the fault catalog', async () => {
    const io = capture();
    expect(await main(argv('chaos', 'list', '--json'))).toBe(0);
    const listed = JSON.parse(io.out()) as { experiments: { name: string }[]; faults: { id: string }[] };
    expect(listed.experiments.map((e) => e.name)).toContain('dynamodb-outage');
    expect(listed.faults.map((f) => f.id)).toEqual(
      expect.arrayContaining(['dynamodb:ThrottlingException', 'dynamodb:hang', 'process:kill-restart']),
    );

    expect(await main(argv('chaos', 'list'))).toBe(0);
    expect(io.out()).toMatch(/dynamodb-connection-resets .*seeded random schedule/);
  });

  it.each([
    ['an unknown experiment', ['chaos', 'run', 'no-such-experiment'], /unknown experiment "no-such-experiment"/],
    ['a bad seed', ['chaos', 'run', 'route-errors', '--seed', 'x'], /--seed must be an integer/],
    ['a bad time scale', ['chaos', 'run', 'route-errors', '--time-scale', '0'], /--time-scale must be a number/],
    [
      'an unreachable target',
      ['chaos', 'run', 'route-errors', '--target', 'http://127.0.0.1:9'],
      /does not answer GET \/health/,
    ],
    ['--table without --target', ['chaos', 'run', 'route-errors', '--table', 't'], /go with --target/],
  ])('exits 2 on %s', async (_name, args, message) => {
    const io = capture();
    expect(await main(argv(...args))).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it('exits 2 when a DynamoDB experiment is pointed at a running service, or a service experiment lacks the token', async () => {
    const io = capture();
    expect(await main(argv('chaos', 'run', 'dynamodb-outage', '--target', healthyUrl, '--no-load'))).toBe(2);
    expect(io.err()).toMatch(/injects DynamoDB faults through the proxy .* run it without --target/);
    expect(await main(argv('chaos', 'run', 'route-errors', '--target', healthyUrl, '--no-load'))).toBe(2);
    expect(io.err()).toMatch(/give the target's fault token/);
  });

  it('demo --help says what it does', async () => {
    const io = capture();
    expect(await main(argv('demo', '--help'))).toBe(0);
    expect(io.out()).toMatch(/one\s+DynamoDB\s+fault\s+window/);
  });
});
