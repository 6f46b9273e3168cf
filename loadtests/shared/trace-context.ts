/**
 * W3C trace context chosen by the client: every request carries
 * `traceparent: 00-<trace id>-<span id>-01` (sampled), so the client knows which trace
 * belongs to which request without asking the server. Pure (no Node or k6 APIs): the Node
 * engine seeds it from `crypto.getRandomValues`, the k6 script from `k6/crypto`.
 *
 * The ids come from xorshift128 (Marsaglia) seeded with 128 random bits, one generator per
 * engine thread or k6 VU: a few integer steps per request instead of a system-random draw.
 * A trace id is the generator's whole 128-bit state after four steps, and xorshift128
 * visits every non-zero state once per period (2^128 - 1), so a generator never repeats a
 * trace id; two generators share one only by a 128-bit chance. Turning words into hex is
 * the costly part, so the encoder is pluggable.
 */

/** The header's name (lower case, as the engines send headers). */
export const TRACEPARENT = 'traceparent';

/** `00-<32 hex>-<16 hex>-<2 hex>`, lower case, neither id all zeros. */
const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** Two hex digits per byte value. */
const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => (i + 0x100).toString(16).slice(1));

/**
 * Lower-case hex of 32-bit words, each word's bytes least significant first (the order of
 * their bytes in memory, so Node's native hex of the same words' bytes agrees).
 */
export type WordsToHex = (words: Uint32Array) => string;

/** The pure encoder (k6 has no native one); the Node engine passes a native one, several times faster. */
export const wordsToHex: WordsToHex = (words) => {
  let hex = '';
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as number;
    hex +=
      (BYTE_HEX[w & 255] as string) +
      (BYTE_HEX[(w >>> 8) & 255] as string) +
      (BYTE_HEX[(w >>> 16) & 255] as string) +
      (BYTE_HEX[w >>> 24] as string);
  }
  return hex;
};

export interface TraceIdOptions {
  /** The hex encoder (default: the pure one). */
  hex?: WordsToHex;
  /** Draws encoded per call of `hex` (default 1): a native encoder pays its call once per batch. */
  batch?: number;
}

/** Hex digits of one draw: a trace id (32) and a span id (16). */
const DRAW_HEX = 48;

export class TraceIdGenerator {
  private x: number;
  private y: number;
  private z: number;
  private w: number;
  /** Draws of six words: four of trace id (the state after four steps), two of span id. */
  private readonly draws: Uint32Array;
  private readonly hex: WordsToHex;
  private readonly batch: number;
  private text = '';
  private used: number;

  /** `seed`: four 32-bit words from a real random source (not all zero). */
  constructor(seed: ArrayLike<number>, { hex = wordsToHex, batch = 1 }: TraceIdOptions = {}) {
    if (seed.length < 4) throw new Error(`a trace id generator needs 4 seed words, got ${seed.length}`);
    this.x = (seed[0] as number) >>> 0;
    this.y = (seed[1] as number) >>> 0;
    this.z = (seed[2] as number) >>> 0;
    this.w = (seed[3] as number) >>> 0;
    // xorshift's only fixed point; any other state is on the one full-period cycle.
    if ((this.x | this.y | this.z | this.w) === 0) this.w = 0x9e3779b9;
    this.hex = hex;
    this.batch = Math.max(1, Math.floor(batch));
    this.draws = new Uint32Array(6 * this.batch);
    this.used = this.batch;
  }

  private step(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.w;
  }

  /**
   * 48 hex digits: a fresh trace id (the first 32) and span id (the last 16), neither all
   * zeros. With batches, a slice of the batch's text: copy an id that is kept for long.
   */
  next(): string {
    if (this.used === this.batch) this.refill();
    const start = this.used++ * DRAW_HEX;
    return this.batch === 1 ? this.text : this.text.slice(start, start + DRAW_HEX);
  }

  private refill(): void {
    const { draws } = this;
    for (let i = 0; i < draws.length; i++) draws[i] = this.step();
    for (let i = 4; i < draws.length; i += 6) if (draws[i] === 0 && draws[i + 1] === 0) draws[i + 1] = 1;
    this.text = this.hex(draws);
    this.used = 0;
  }

  /** A fresh 32-hex trace id. */
  traceId(): string {
    return this.next().slice(0, 32);
  }

  /** A fresh 16-hex span id. */
  spanId(): string {
    return this.next().slice(32);
  }
}

/** The `traceparent` value of a sampled request. */
export function traceparent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

/** The ids of a `traceparent` value, or undefined when it is not a valid version-00 header. */
export function parseTraceparent(value: string): { traceId: string; spanId: string } | undefined {
  const match = TRACEPARENT_PATTERN.exec(value);
  if (!match) return undefined;
  const [, traceId, spanId] = match as unknown as [string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId };
}
