/**
 * Seeded randomness for the load tests. Both engines (Node and k6) derive one generator
 * per iteration from the run's seed and the iteration's index, so the same seed replays
 * the same journeys with the same data, whatever the timing. Pure: no Node or k6 APIs.
 */

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

/**
 * A 32-bit seed that depends on every part, in order (FNV-1a over the parts' characters
 * and number bits, without building a string: it runs once per iteration).
 */
export function deriveSeed(...parts: readonly (string | number)[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    if (typeof part === 'number') {
      // Integers up to 2^53 as two 32-bit halves, a byte at a time.
      const low = part >>> 0;
      const high = Math.floor(part / 4294967296) >>> 0;
      for (let byte = 0; byte < 8; byte++) {
        hash ^= ((byte < 4 ? low : high) >>> ((byte & 3) * 8)) & 0xff;
        hash = Math.imul(hash, 0x01000193);
      }
    } else {
      for (let i = 0; i < part.length; i++) {
        hash ^= part.charCodeAt(i);
        hash = Math.imul(hash, 0x01000193);
      }
    }
    // A separator, so ('ab', 'c') and ('a', 'bc') differ.
    hash ^= 0xff;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * mulberry32: tiny, fast and good enough for choosing journeys and test data. A class, so
 * making one per iteration allocates one small object and no closures.
 */
class Mulberry32 implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

export function createRng(seed: number): Rng {
  return new Mulberry32(seed);
}
