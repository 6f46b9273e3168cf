/**
 * Trace and span ids cut from one block of random hex. The SDK's RandomIdGenerator makes
 * each id with its own Buffer-to-hex call into C++, and a server span takes two (about
 * 3 µs of a GET /menu, sampled or not); here one `randomFillSync` and one hex conversion
 * serve the next few hundred ids, and each id is a slice of that string.
 */
import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const TRACE_ID_HEX = 32;
const SPAN_ID_HEX = 16;
/** Random bytes drawn at a time: 256 trace ids' worth. */
const BLOCK_BYTES = 4096;
const INVALID_TRACE_ID = '0'.repeat(TRACE_ID_HEX);
const INVALID_SPAN_ID = '0'.repeat(SPAN_ID_HEX);

export interface BatchedIdOptions {
  /** Random bytes drawn at a time; default 4096 (256 trace ids). */
  blockBytes?: number;
  /** Fills the block with random bytes; default `crypto.randomFillSync`. Tests pass their own. */
  fill?: (block: Buffer) => void;
}

export class BatchedIdGenerator implements IdGenerator {
  readonly #bytes: Buffer;
  readonly #fill: (block: Buffer) => void;
  #hex = '';
  #at = 0;

  constructor({ blockBytes = BLOCK_BYTES, fill = randomFillSync }: BatchedIdOptions = {}) {
    this.#bytes = Buffer.allocUnsafe(blockBytes);
    this.#fill = fill;
  }

  generateTraceId(): string {
    const id = this.#next(TRACE_ID_HEX);
    // All zeros is the invalid id; as the SDK does, the last digit is set then.
    return id === INVALID_TRACE_ID ? `${id.slice(0, -1)}1` : id;
  }

  generateSpanId(): string {
    const id = this.#next(SPAN_ID_HEX);
    return id === INVALID_SPAN_ID ? `${id.slice(0, -1)}1` : id;
  }

  #next(length: number): string {
    if (this.#at + length > this.#hex.length) {
      this.#fill(this.#bytes);
      this.#hex = this.#bytes.toString('hex');
      this.#at = 0;
    }
    const id = this.#hex.slice(this.#at, this.#at + length);
    this.#at += length;
    return id;
  }
}
