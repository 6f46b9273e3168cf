import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const coffee = new URL('../bin/coffee.js', import.meta.url).pathname;

describe('coffee infra cost', () => {
  it('prints the estimate for the given number of orders as JSON', async () => {
    const { stdout } = await run(process.execPath, [coffee, 'infra', 'cost', '--orders', '2000000', '--json'], {
      timeout: 30_000,
    });
    const report = JSON.parse(stdout) as {
      orders: number;
      orderCost: { total: number };
      fixedMonthly: { total: number; counts: { dashboards: number } };
    };
    expect(report.orders).toBe(2_000_000);
    expect(report.orderCost.total).toBeCloseTo(2 * 31.08, 1);
    expect(report.fixedMonthly.counts.dashboards).toBe(4);
    expect(report.fixedMonthly.total).toBeGreaterThan(0);
  });

  it('exits 2 with one line on a bad option', async () => {
    const failure = await run(process.execPath, [coffee, 'infra', 'cost', '--orders', 'many'], {
      timeout: 30_000,
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr.trim().split('\n')).toEqual([
      'coffee: --orders must be an integer between 1 and 1000000000000, got "many"',
    ]);
  });
});
