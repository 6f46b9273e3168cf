/**
 * The service as a real child process (`coffee serve`), for process faults: SIGKILL it
 * under load and start it again on the same data directory and port, so clients that
 * keep the URL reconnect once it is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const COFFEE_BIN = fileURLToPath(new URL('../bin/coffee.js', import.meta.url));
const LISTENING = /listening on (http:\/\/\S+)/;

export interface ServiceProcessOptions {
  /** The embedded DynamoDB's directory: it survives a kill, which is the point. */
  dataDir: string;
  /** Default 0 (ephemeral); a restart reuses the port the first start got. */
  port?: number;
  host?: string;
  /** Starts the service with `--faults` and this token in `COFFEE_FAULT_TOKEN`. */
  faultToken?: string;
  /** Extra environment (e.g. `COFFEE_METRICS_EXPORTER`). */
  env?: Record<string, string>;
  /** Appends the child's stdout and stderr here; discarded when absent. */
  logFile?: string;
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
  /** Starts the service again on the same data directory and port. */
  restart(): Promise<void>;
  /** SIGTERM (graceful drain); SIGKILL if it has not exited after `timeoutMs` (default 10 s). */
  stop(timeoutMs?: number): Promise<ExitInfo>;
}

/**
 * Starts `node bin/coffee.js serve --port P --data-dir DIR` and resolves once it prints
 * `listening on http://...`.
 */
export async function startServiceProcess({
  dataDir,
  port = 0,
  host = '127.0.0.1',
  faultToken,
  env = {},
  logFile,
  startTimeoutMs = 30_000,
}: ServiceProcessOptions): Promise<ServiceProcess> {
  const log: WriteStream | undefined = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  let running = false;
  let starts = 0;
  let url = '';

  async function start(onPort: number): Promise<void> {
    const args = [COFFEE_BIN, 'serve', '--port', String(onPort), '--host', host, '--data-dir', dataDir];
    if (faultToken) args.push('--faults');
    const proc = spawn(process.execPath, args, {
      env: {
        ...process.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...(faultToken ? { COFFEE_FAULT_TOKEN: faultToken } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        running = false;
        resolve({ code, signal });
      });
    });
    let stderrTail = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-2_000);
      log?.write(chunk);
    });
    url = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`the service did not start within ${startTimeoutMs} ms: ${stderrTail.trim()}`));
      }, startTimeoutMs);
      proc.stdout?.on('data', (chunk: Buffer) => {
        log?.write(chunk);
        if (running) return;
        buffered += chunk.toString();
        const match = LISTENING.exec(buffered);
        if (match?.[1]) {
          clearTimeout(timer);
          running = true;
          resolve(match[1]);
        }
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        if (!running) reject(new Error(`the service exited (code ${code}, signal ${signal}) before listening: ${stderrTail.trim()}`));
      });
    });
    starts += 1;
  }

  await start(port);
  const boundPort = Number(new URL(url).port);

  async function stopWith(signal: NodeJS.Signals, timeoutMs: number): Promise<ExitInfo> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return exited;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    const info = await exited;
    clearTimeout(timer);
    return info;
  }

  return {
    get url() {
      return url;
    },
    get pid() {
      return child?.pid;
    },
    get running() {
      return running;
    },
    get starts() {
      return starts;
    },
    kill: () => stopWith('SIGKILL', 5_000),
    async restart() {
      if (running) await stopWith('SIGKILL', 5_000);
      await start(boundPort);
    },
    async stop(timeoutMs = 10_000) {
      const info = await stopWith('SIGTERM', timeoutMs);
      await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
      return info;
    },
  };
}
