/** Reading a JSON body: 415 when it is not JSON, 413 over the limit, 400 when malformed. */
import type { Context } from 'hono';
import { Limits } from '../domain/types.ts';
import { AppError, ErrorCodes } from '../errors.ts';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

export async function readJson(c: Context, maxBytes: number = Limits.maxBodyBytes): Promise<unknown> {
  const type = c.req.header('content-type');
  if (!type || !JSON_TYPE.test(type)) {
    throw new AppError(415, ErrorCodes.UnsupportedMediaType, 'The body must be JSON (Content-Type: application/json)');
  }
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) throw malformed('the body is empty');
  // Read incrementally so a chunked body without a length cannot grow past the limit.
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (text.trim() === '') throw malformed('the body is empty');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw malformed((error as Error).message.slice(0, 200), error);
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(413, ErrorCodes.PayloadTooLarge, `The body must be at most ${maxBytes} bytes`);
}

function malformed(why: string, cause?: unknown): AppError {
  return new AppError(400, ErrorCodes.MalformedJson, `The body is not valid JSON: ${why}`, {
    cause,
    errors: [{ field: '(body)', message: 'is not valid JSON' }],
  });
}
