/**
 * Tools some tests run that npm does not install (promtool, Chromium): found on PATH, and
 * when missing, an error that says what to install rather than an ENOENT.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const INSTALL_HINTS = {
  promtool:
    "install Debian's prometheus package (apt-get install prometheus), or put the promtool of a Prometheus release on PATH",
  chromium:
    "install Debian's chromium package (apt-get install chromium), or put a Chromium or Chrome named chromium on PATH",
} as const;

export type KnownExecutable = keyof typeof INSTALL_HINTS;

/** The first executable file called `name` in the directories of `envPath`, or undefined. */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    for (const candidate of names.map((n) => path.join(dir, n))) {
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

/** `findOnPath`, or an error naming the tool and what to install. */
export function requireOnPath(name: KnownExecutable, envPath = process.env.PATH ?? ''): string {
  const found = findOnPath(name, envPath);
  if (!found) throw new Error(`${name} is not on PATH: ${INSTALL_HINTS[name]}`);
  return found;
}
