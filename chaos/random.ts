/**
 * A seeded pseudo-random source, so a chaos run can be replayed: the same seed gives the
 * same fault decisions (in the order the decisions are asked for) and the same random
 * fault schedule. `Math.random` cannot be seeded, and a dependency would be larger than
 * these few lines.
 */

/** Returns numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * mulberry32: a 32-bit generator with a full 2^32 period, good enough for fault
 * decisions (not for cryptography).
 *
 * @example const random = createRandom(42); random(); // 0.6011037519201636
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return function random() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A derived, independent stream for one purpose (e.g. the schedule vs the proxy). */
export function forkRandom(seed: number, label: string): Random {
  let hash = seed >>> 0;
  for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return createRandom(hash);
}

/** A standard normal variate (Box-Muller). */
export function normal(random: Random): number {
  // 1 - u keeps the logarithm's argument in (0, 1].
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** An integer in [min, max] (both included). */
export function integerBetween(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
