/**
 * The service as a real child process, started as users start it (`coffee serve`) and
 * ready once it prints `listening on http://...`. Fault experiments SIGKILL it under load
 * and start it again on the same data directory and port, so clients that keep the URL
 * reconnect once it is back; the benchmark measures it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const COFFEE_BIN = fileURLToPath(new URL('../../bin/coffee.js', import.meta.url));
const LISTENING = /listening on (http:\/\/\S+)/;
/** The shell's variables that configure the service or its telemetry. */
const CONFIG_VARIABLE = /^(COFFEE|OTEL)_/;
/** How much of the child's stderr a start failure quotes. */
const STDERR_TAIL_CHARS = 2_000;
/** A kill sends SIGKILL again if the child has not exited after this long. */
const KILL_WAIT_MS = 5_000;

export interface ServiceProcessOptions {
  /**
   * `--data-dir`: the embedded DynamoDB and the dev keys on disk, so they survive a kill,
   * which is the point of a restart. In memory when absent (a restart starts empty).
   */
  dataDir?: string;
  /** Default 0 (ephemeral); a restart reuses the port the first start got. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Starts the service with `--faults` and this token in `COFFEE_FAULT_TOKEN`. */
  faultToken?: string;
  /** Extra environment (e.g. `COFFEE_METRICS_EXPORTER`); wins over the inherited one. */
  env?: Record<string, string>;
  /**
   * Pass this process's `COFFEE_*` and `OTEL_*` variables on (default true). False when
   * `env` alone must configure the service: a benchmark, where a shell's
   * `COFFEE_DYNAMODB_ENDPOINT` would silently change what is measured.
   */
  inheritConfig?: boolean;
  /** Appends the child's stdout and stderr here. */
  logFile?: string;
  /** Copies the child's stderr to this process's stderr as well (default false). */
  echoStderr?: boolean;
  /** Default 30 s. */
  startTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  /** `http://HOST:PORT`, the same across restarts. */
  readonly url: string;
  readonly pid: number | undefined;
  /** True between a start that printed its address and the process's exit. */
  readonly running: boolean;
  /** Starts of the process so far (1 after the first start). */
  readonly starts: number;
  /** Sends SIGKILL and resolves when the process is gone. */
  kill(): Promise<ExitInfo>;
  /** Starts the service again with the same options, on the port the first start got. */
  restart(): Promise<void>;
  /** SIGTERM (graceful drain); SIGKILL if it has not exited after `timeoutMs` (default 10 s). */
  stop(timeoutMs?: number): Promise<ExitInfo>;
}

/**
 * Starts `node bin/coffee.js serve --port P --host H [--data-dir DIR] [--faults]` and
 * resolves once it prints `listening on http://...`; rejects, with the end of its stderr,
 * when it exits first or does not print that within `startTimeoutMs`.
 *
 * @example
 * const service = await startServiceProcess({ dataDir, env: { COFFEE_RATE_LIMIT_RPS: '0' } });
 * await service.kill();
 * await service.restart(); // same URL, same data
 * await service.stop();
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const service = new ChildService(options);
  try {
    await service.start(options.port ?? 0);
  } catch (error) {
    await service.closeLog();
    throw error;
  }
  return service;
}

class ChildService implements ServiceProcess {
  readonly #options: ServiceProcessOptions;
  readonly #log: WriteStream | undefined;
  #child: ChildProcess | undefined;
  #exited: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  #running = false;
  #starts = 0;
  #url = '';

  constructor(options: ServiceProcessOptions) {
    this.#options = options;
    this.#log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  }

  get url(): string {
    return this.#url;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#running;
  }

  get starts(): number {
    return this.#starts;
  }

  async start(port: number): Promise<void> {
    const child = this.#spawn(port);
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#running = false;
        resolve({ code, signal });
      });
    });
    this.#url = await this.#listening(child, this.#stderrTail(child));
    this.#starts += 1;
  }

  kill(): Promise<ExitInfo> {
    return this.#stopWith('SIGKILL', KILL_WAIT_MS);
  }

  async restart(): Promise<void> {
    if (this.#running) await this.#stopWith('SIGKILL', KILL_WAIT_MS);
    await this.start(Number(new URL(this.#url).port));
  }

  async stop(timeoutMs = 10_000): Promise<ExitInfo> {
    const info = await this.#stopWith('SIGTERM', timeoutMs);
    await this.closeLog();
    return info;
  }

  closeLog(): Promise<void> {
    const log = this.#log;
    return new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
  }

  #spawn(port: number): ChildProcess {
    const { dataDir, host = '127.0.0.1', faultToken } = this.#options;
    const args = [COFFEE_BIN, 'serve', '--port', String(port), '--host', host];
    if (dataDir) args.push('--data-dir', dataDir);
    if (faultToken) args.push('--faults');
    return spawn(process.execPath, args, { env: this.#env(), stdio: ['ignore', 'pipe', 'pipe'] });
  }

  #env(): NodeJS.ProcessEnv {
    const { faultToken, env = {}, inheritConfig = true } = this.#options;
    const inherited = inheritConfig
      ? process.env
      : Object.fromEntries(Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLE.test(name)));
    return {
      ...inherited,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(faultToken ? { COFFEE_FAULT_TOKEN: faultToken } : {}),
      ...env,
    };
  }

  /** Follows the child's stderr (to the log, and echoed if asked); returns its latest end. */
  #stderrTail(child: ChildProcess): () => string {
    let tail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-STDERR_TAIL_CHARS);
      this.#log?.write(chunk);
      if (this.#options.echoStderr) process.stderr.write(chunk);
    });
    return () => tail.trim();
  }

  /** The URL the child prints once it listens; its stdout goes on to the log after that. */
  #listening(child: ChildProcess, stderrTail: () => string): Promise<string> {
    const { startTimeoutMs = 30_000 } = this.#options;
    return new Promise<string>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the service did not start within ${startTimeoutMs} ms: ${stderrTail()}`));
      }, startTimeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => {
        this.#log?.write(chunk);
        if (this.#running) return;
        buffered += chunk.toString();
        const match = LISTENING.exec(buffered);
        if (match?.[1]) {
          clearTimeout(timer);
          this.#running = true;
          resolve(match[1]);
        }
      });
      void this.#exited.then(({ code, signal }) => {
        clearTimeout(timer);
        if (!this.#running)
          reject(new Error(`the service exited (code ${code}, signal ${signal}) before listening: ${stderrTail()}`));
      });
    });
  }

  async #stopWith(signal: NodeJS.Signals, timeoutMs: number): Promise<ExitInfo> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return this.#exited;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const info = await this.#exited;
    clearTimeout(timer);
    return info;
  }
}
