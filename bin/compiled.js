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
// read each other's half-written output. The worker files a compiled entry loads beside
// itself go to a directory named by their content: a worker is loaded when first needed
// (the span export worker with the first spans), and a server started before a `git pull`
// must still find its own version then, not the one a later start copied. Directories of
// versions long unused are removed (pruneBuilds says when).
import { createHash, randomUUID } from 'node:crypto';
import { access, constants, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
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

/**
 * Removes the files of starts that were killed before they removed them (older than a
 * minute), in `dir` and its builds' directories; the worker files stay.
 */
export async function removeStale(dir, now = Date.now()) {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith('build-')) await removeStale(path, now);
      continue;
    }
    if (!entry.name.includes('.tmp-') && !/-[0-9a-f-]{36}\.mjs$/.test(entry.name)) continue;
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: now }));
    if (now - mtimeMs > STALE_MS) await rm(path, { force: true });
  }
}

/** Builds' directories kept besides the current one, however old. */
const KEEP_BUILDS = 3;
/** A build's directory not started from for this long may go, if KEEP_BUILDS newer ones exist. */
const BUILD_IDLE_MS = 7 * 24 * 60 * 60_000;

/**
 * Removes the worker files' directories of older versions. A server loads its workers when
 * first needed, possibly long after its start, from the directory its start chose; so a
 * directory goes only when it is not `current`, at least KEEP_BUILDS directories were
 * started from more recently, and its last start (each start sets its mtime) is more than
 * a week ago: a server still running from it would have to have gone a week without spans
 * while its checkout moved on by KEEP_BUILDS versions.
 */
export async function pruneBuilds(dir, current, now = Date.now()) {
  const builds = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (!entry.isDirectory() || !entry.name.startsWith('build-') || path === current) continue;
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: now }));
    builds.push({ path, mtimeMs });
  }
  builds.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { path, mtimeMs } of builds.slice(KEEP_BUILDS)) {
    if (now - mtimeMs > BUILD_IDLE_MS) await rm(path, { recursive: true, force: true });
  }
}

/**
 * The directory of this checkout's worker files, named by their content, with the files in
 * it (written once per content; a start that finds them leaves them).
 */
async function besideDir(dir) {
  const sources = await Promise.all(BESIDE.map((file) => readFile(join(ROOT, file))));
  const hash = createHash('sha256');
  for (const source of sources) hash.update(source);
  const build = join(dir, `build-${hash.digest('hex').slice(0, 16)}`);
  await mkdir(build, { recursive: true });
  // Marks it used before anything else, so that a prune running now leaves it (pruneBuilds).
  const now = new Date();
  await utimes(build, now, now);
  await Promise.all(
    BESIDE.map(async (file, i) => {
      const target = join(build, file.slice(file.lastIndexOf('/') + 1));
      if (
        await access(target).then(
          () => true,
          () => false,
        )
      )
        return;
      const temp = `${target}.tmp-${randomUUID()}`;
      await writeFile(temp, sources[i]);
      await rename(temp, target);
    }),
  );
  return build;
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
  const build = await besideDir(dir);
  await pruneBuilds(dir, build);
  const esbuild = await import('esbuild');
  const outfile = join(build, `${entry.replace(/[/\\]/g, '-').replace(/\.ts$/, '')}-${randomUUID()}.mjs`);
  try {
    await esbuild.build({
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
    await esbuild.stop();
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
