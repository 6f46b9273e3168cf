import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, requireOnPath } from './executables.ts';

let dir: string;
let bin: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'coffee-path-'));
  bin = path.join(dir, 'promtool');
  await writeFile(bin, '#!/bin/sh\n');
  await chmod(bin, 0o755);
  await writeFile(path.join(dir, 'chromium'), 'not executable');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('executables on PATH', () => {
  it('finds an executable in a later PATH directory', () => {
    expect(findOnPath('promtool', [path.join(dir, 'nowhere'), dir].join(path.delimiter))).toBe(bin);
  });

  it('passes over a file that is not executable', () => {
    expect(findOnPath('chromium', dir)).toBeUndefined();
  });

  it('says what to install when a tool is missing', () => {
    expect(() => requireOnPath('promtool', path.join(dir, 'nowhere'))).toThrow(
      "promtool is not on PATH: install Debian's prometheus package",
    );
    expect(() => requireOnPath('chromium', dir)).toThrow("chromium is not on PATH: install Debian's chromium package");
    expect(requireOnPath('promtool', dir)).toBe(bin);
  });
});
