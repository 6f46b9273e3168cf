/**
 * Structured JSON logs with pino: one line per event, ISO timestamps, level names, and
 * the trace and span ids, request id and load run id of the request a line belongs to
 * (added by a mixin from the request's scope, for lines written inside `scope.run`; see
 * call-scope.ts). Secrets and e-mail addresses are
 * redacted at every depth we log them.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../config/config.ts';

export const REDACTED_PATHS = [
  'authorization',
  'token',
  'email',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  '*.authorization',
  '*.token',
  '*.email',
  '*.password',
  '*.signingKey',
  '*.faultToken',
  'err.config',
];

const EMAIL = /[\w.+-]+@[\w-]+\.[\w.-]+/g;

export interface LoggerOptions {
  level: LogLevel;
  /** Level of the per-request access line; `silent` (or below `level`) turns it off. */
  accessLevel: LogLevel;
  serviceName: string;
  /** Fields of the current request, if any. */
  context: () => RequestFields | undefined;
  destination?: DestinationStream;
  file?: string;
  /**
   * Buffer lines (4 KiB, written at least every second). Off in Lambda, where an
   * invocation that times out or runs out of memory would lose what is buffered.
   */
  buffer?: boolean;
}

/** The ids every log line of a request carries. */
export interface RequestFields {
  request_id: string;
  load_run_id?: string;
  trace_id?: string;
  span_id?: string;
}

/** One access line: the request's ids and what happened to it. */
export interface AccessFields extends RequestFields {
  method: string;
  route: string;
  path: string;
  status: number;
  duration_ms: number;
  error_code?: string;
}

export interface Loggers {
  logger: PinoLogger;
  /** Writes one access line, or is absent when access lines are off. */
  access: ((fields: AccessFields) => void) | undefined;
  /** Writes out what is buffered. */
  flush(): Promise<void>;
  /** Stops the periodic flush. */
  close(): void;
}

/** How long a log line may wait in the buffer before it is written. */
const FLUSH_INTERVAL_MS = 1_000;

/**
 * The service's loggers, on one destination. Lines are buffered (4 KiB) and written at
 * least every second, at shutdown, at the end of a Lambda invocation (`flush`), and by
 * pino on exit: one write call per line cost more than the rest of a request.
 *
 * The access line has a logger of its own without redaction or mixin: its fields are
 * fixed and carry no secrets (the path of an unmatched route is masked for e-mail
 * addresses), and key-based redaction cost about as much as the rest of the line.
 */
export function createLoggers({
  level,
  accessLevel,
  serviceName,
  context,
  destination,
  file,
  buffer = true,
}: LoggerOptions): Loggers {
  const own = destination
    ? undefined
    : pino.destination({ dest: file ?? 1, sync: false, mkdir: true, minLength: buffer ? 4096 : 0 });
  const buffered = buffer ? own : undefined;
  const dest = destination ?? own!;
  const common = {
    base: { service: serviceName },
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const logger = pino(
    {
      ...common,
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // A copy: pino merges each call's fields into what the mixin returns, and the
      // request's fields also make its access line.
      mixin: () => ({ ...context() }),
      serializers: {
        // Error messages can quote input (an address in a failed condition, say).
        err: (error: unknown) => {
          const serialized = pino.stdSerializers.err(error as Error);
          if (typeof serialized.message === 'string') serialized.message = serialized.message.replace(EMAIL, '[email]');
          if (typeof serialized.stack === 'string') serialized.stack = serialized.stack.replace(EMAIL, '[email]');
          return serialized;
        },
      },
    },
    dest,
  );
  let access: Loggers['access'];
  if (accessLevel !== 'silent' && logger.isLevelEnabled(accessLevel)) {
    const lean = pino({ ...common, level: accessLevel }, dest);
    const write = lean[accessLevel].bind(lean);
    // Only the known fields, whatever else the caller's object carries.
    access = (f) => {
      const line: AccessFields = {
        request_id: f.request_id,
        method: f.method,
        route: f.route,
        path: f.route === 'unmatched' ? f.path.replace(EMAIL, '[email]') : f.path,
        status: f.status,
        duration_ms: f.duration_ms,
      };
      if (f.load_run_id) line.load_run_id = f.load_run_id;
      if (f.trace_id) line.trace_id = f.trace_id;
      if (f.span_id) line.span_id = f.span_id;
      if (f.error_code) line.error_code = f.error_code;
      write(line, 'request');
    };
  }
  const timer = buffered ? setInterval(() => buffered.flush(), FLUSH_INTERVAL_MS) : undefined;
  timer?.unref();
  return {
    logger,
    access,
    flush: () => new Promise<void>((resolve) => logger.flush(() => resolve())),
    close: () => clearInterval(timer),
  };
}
