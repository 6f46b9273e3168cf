import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Pinning, parseCpuList } from './affinity.ts';

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)]);
    return true;
  } catch {
    return false;
  }
})();

describe('CPU pinning', () => {
  it('reads CPU lists as taskset prints them', () => {
    expect(parseCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
    expect(parseCpuList('1')).toEqual([1]);
  });

  it.runIf(hasTaskset && availableParallelism() >= 2)(
    'pins a target to its CPU and leaves this process as it was',
    async () => {
      const before = execFileSync('taskset', ['-c', '-p', String(process.pid)]).toString();
      const pinning = await Pinning.detect();
      expect(pinning.description).toMatch(/^targets on CPU \d+, load generator on CPU \d+$/);
      const target = spawn('sleep', ['5']);
      try {
        await pinning.pinTarget(target.pid!);
        const cpu = /targets on CPU (\d+)/.exec(pinning.description)![1];
        expect(execFileSync('taskset', ['-c', '-p', String(target.pid)]).toString()).toMatch(
          new RegExp(`: ${cpu}\\s*$`),
        );
        await pinning.pinSelf();
        await pinning.restoreSelf();
        expect(execFileSync('taskset', ['-c', '-p', String(process.pid)]).toString()).toBe(before);
      } finally {
        target.kill();
      }
    },
  );
});
