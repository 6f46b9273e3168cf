/**
 * Structured JSON logs with pino: one line per event, ISO timestamps, level names, and
 * the trace and span ids, request id and load run id of the request a line belongs to
 * (added by a mixin from the request's async context). Secrets and e-mail addresses are
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
  serviceName: string;
  /** Fields of the current request, if any. */
  context: () => Record<string, string> | undefined;
  destination?: DestinationStream;
  file?: string;
}

export function createLogger({ level, serviceName, context, destination, file }: LoggerOptions): PinoLogger {
  const dest = destination ?? pino.destination({ dest: file ?? 1, sync: false, mkdir: true });
  return pino(
    {
      level,
      base: { service: serviceName },
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: () => context() ?? {},
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
}
