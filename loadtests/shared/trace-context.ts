/**
 * W3C trace context chosen by the client: every request carries
 * `traceparent: 00-<trace id>-<span id>-01` (sampled), so the client knows which trace
 * belongs to which request without asking the server. Pure (no Node or k6 APIs): the Node
 * engine seeds it from `crypto.getRandomValues`, the k6 script from `k6/crypto`.
 *
 * The ids come from xorshift128 (Marsaglia) seeded with 128 random bits, one generator per
 * engine thread or k6 VU: four steps cost a few nanoseconds where `crypto.randomUUID` per
 * request would cost a system-random draw. A trace id is the generator's whole 128-bit
 * state after four steps, and xorshift128 visits every non-zero state once per period
 * (2^128 - 1), so a generator never repeats a trace id; two generators share one only by
 * a 128-bit chance.
 */

/** The header's name (lower case, as the engines send headers). */
export const TRACEPARENT = 'traceparent';

/** `00-<32 hex>-<16 hex>-<2 hex>`, lower case, neither id all zeros. */
const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** Eight lower-case hex digits of a 32-bit word, leading zeros kept. */
function hex8(word: number): string {
  return ((word >>> 0) + 0x100000000).toString(16).slice(1);
}

export class TraceIdGenerator {
  private x: number;
  private y: number;
  private z: number;
  private w: number;

  /** `seed`: four 32-bit words from a real random source (not all zero). */
  constructor(seed: ArrayLike<number>) {
    if (seed.length < 4) throw new Error(`a trace id generator needs 4 seed words, got ${seed.length}`);
    this.x = (seed[0] as number) >>> 0;
    this.y = (seed[1] as number) >>> 0;
    this.z = (seed[2] as number) >>> 0;
    this.w = (seed[3] as number) >>> 0;
    // xorshift's only fixed point; any other state is on the one full-period cycle.
    if ((this.x | this.y | this.z | this.w) === 0) this.w = 0x9e3779b9;
  }

  private step(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.w;
  }

  /** A fresh 32-hex trace id (never all zeros). */
  traceId(): string {
    this.step();
    this.step();
    this.step();
    this.step();
    return hex8(this.x) + hex8(this.y) + hex8(this.z) + hex8(this.w);
  }

  /** A fresh 16-hex span id (never all zeros). */
  spanId(): string {
    const high = this.step();
    const low = this.step() || 1;
    return hex8(high) + hex8(low);
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
