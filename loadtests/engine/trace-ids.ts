/**
 * The Node engine's trace ids: the shared generator (../shared/trace-context.ts), seeded
 * from the system's random source per engine thread, with Node's native hex encoding over
 * batches of draws (a native call costs more than the hex itself, so one per batch).
 */
import { TraceIdGenerator, type WordsToHex } from '../shared/trace-context.ts';

/** Hex of the words by `Buffer#toString`, with one Buffer view per draw array. */
export function nativeHex(): WordsToHex {
  let words: Uint32Array | undefined;
  let bytes: Buffer | undefined;
  return (draw) => {
    if (draw !== words) {
      words = draw;
      bytes = Buffer.from(draw.buffer, draw.byteOffset, draw.byteLength);
    }
    return (bytes as Buffer).toString('hex');
  };
}

/** Draws per native call: the text (3 KB) stays alive while any of its ids does. */
const BATCH = 64;

export function createTraceIds(): TraceIdGenerator {
  return new TraceIdGenerator(crypto.getRandomValues(new Uint32Array(4)), { hex: nativeHex(), batch: BATCH });
}

/** A copy of an id that holds no batch text alive (for ids kept long, such as exemplars'). */
export function detach(id: string): string {
  return Buffer.from(id, 'latin1').toString('latin1');
}
