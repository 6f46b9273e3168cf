// Runs one TypeScript entry point of the toolkit compiled to a single JavaScript file, with
// no TypeScript loader in the process. Used for `coffee serve`, the one long-running
// command: tsx registers its ESM hooks on a loader thread that stays for the life of the
// process, with a V8 heap of its own (its cost: docs/performance.md, "Resident memory").
// Node 20 has no in-thread hooks (`module.registerHooks` came in Node 22.15), so the way out
// is to compile first.
//
// esbuild (which tsx itself runs on) bundles the toolkit's own modules into one file and
// leaves packages to node_modules; it is fast enough to run on every start, so the file is
// never stale. Each start writes files of its own (random names, not pids,
// which repeat across containers sharing a checkout), so services starting at once do not
// read each other's half-written output.
import { randomUUID } from 'node:crypto';
import { access, constants, copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Files a compiled entry loads by a path relative to its own module (`new URL(..., import.meta.url)`). */
const BESIDE = ['service/store/embedded-worker.mjs', 'service/telemetry/span-export-worker.mjs'];

/**
 * Where the compiled file goes: under node_modules, so that its imports of packages resolve
 * as the sources' do. Undefined when that is not writable (a read-only install).
 */
async function cacheDir() {
  const cache = join(ROOT, 'node_modules', '.cache', 'coffee-cloud');
  try {
    await mkdir(cache, { recursive: true });
    await access(cache, constants.W_OK);
    return cache;
  } catch {
    return undefined;
  }
}

const STALE_MS = 60_000;

/** Removes the files of starts that were killed before they removed them (older than a minute). */
export async function removeStale(dir, now = Date.now()) {
  for (const name of await readdir(dir).catch(() => [])) {
    if (!name.includes('.tmp-') && !/-[0-9a-f-]{36}\.mjs$/.test(name)) continue;
    const file = join(dir, name);
    const { mtimeMs } = await stat(file).catch(() => ({ mtimeMs: now }));
    if (now - mtimeMs > STALE_MS) await rm(file, { force: true });
  }
}

/**
 * Compiles `entry` (relative to the repository root), imports it and resolves to what its
 * exported `main(argv)` resolves to; undefined, having run nothing, when there is nowhere
 * to write the compiled file (the caller runs the entry through tsx then).
 */
export async function runCompiled(entry, argv) {
  const dir = await cacheDir();
  if (!dir) return undefined;
  await removeStale(dir);
  const { build, stop } = await import('esbuild');
  const outfile = join(dir, `${entry.replace(/[/\\]/g, '-').replace(/\.ts$/, '')}-${randomUUID()}.mjs`);
  try {
    await build({
      entryPoints: [join(ROOT, entry)],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'error',
    });
  } finally {
    // esbuild's service process is not needed past the build.
    await stop();
  }
  for (const file of BESIDE) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    const temp = join(dir, `${name}.tmp-${randomUUID()}`);
    await copyFile(join(ROOT, file), temp);
    await rename(temp, join(dir, name));
  }
  // Stack traces name the TypeScript sources, as under tsx.
  process.setSourceMapsEnabled(true);
  let module;
  try {
    module = await import(pathToFileURL(outfile).href);
  } finally {
    // Loaded; the file is not read again.
    await rm(outfile, { force: true });
  }
  return module.main(argv);
}
