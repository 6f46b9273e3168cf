/**
 * Service fault injection: latency, exceptions and status codes on chosen routes with a
 * probability. Off unless the process enables it (config or `coffee serve --faults`); the
 * rules are set through a control endpoint guarded by its own token, and
 * `DELETE /_chaos/faults` is the kill switch.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AppError, ErrorCodes } from '../errors.ts';

export const FaultRule = z.strictObject({
  /** `METHOD /template` as in the catalog's ROUTES, or `*` for every API route. */
  route: z
    .string()
    .regex(/^(\*|(GET|POST|PUT|PATCH|DELETE) \/[\w/:.-]*)$/, { error: "must be '*' or 'METHOD /template'" }),
  probability: z.number().min(0).max(1).default(1),
  latencyMs: z.int().min(0).max(60_000).optional(),
  status: z.int().min(400).max(599).optional(),
  exception: z.boolean().optional(),
  /** Blocks the event loop synchronously for this long (a CPU hog, a sync fs call). */
  blockMs: z.int().min(0).max(10_000).optional(),
});
export type FaultRule = z.output<typeof FaultRule>;
export const FaultRules = z.strictObject({ rules: z.array(FaultRule).max(50) });

export interface FaultInjector {
  readonly rules: readonly FaultRule[];
  set(rules: FaultRule[]): void;
  clear(): void;
  /** True when `token` is the control token (constant-time compare). */
  authorize(token: string | undefined): boolean;
  /** Applies the matching rules to a request: may wait, block, or throw. */
  apply(routeKey: string): Promise<void>;
}

export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
}

export function createFaultInjector({
  token,
  rules = [],
  random = Math.random,
}: {
  token: string;
  rules?: FaultRule[];
  random?: () => number;
}): FaultInjector {
  let active: FaultRule[] = rules;
  const expected = Buffer.from(token);
  return {
    get rules() {
      return active;
    },
    set(next) {
      active = next;
    },
    clear() {
      active = [];
    },
    authorize(candidate) {
      if (!candidate) return false;
      const given = Buffer.from(candidate);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    async apply(routeKey) {
      for (const rule of active) {
        if (rule.route !== '*' && rule.route !== routeKey) continue;
        if (random() >= rule.probability) continue;
        if (rule.blockMs) {
          const until = performance.now() + rule.blockMs;
          while (performance.now() < until) {
            // Deliberately burn the event loop.
          }
        }
        if (rule.latencyMs) await new Promise((resolve) => setTimeout(resolve, rule.latencyMs));
        if (rule.exception) throw new InjectedFault(`injected exception on ${routeKey}`);
        if (rule.status) {
          throw new AppError(rule.status, ErrorCodes.InjectedFault, `Injected fault on ${routeKey}`, {
            ...(rule.status === 503 || rule.status === 429 ? { retryAfter: 1 } : {}),
          });
        }
      }
    },
  };
}
