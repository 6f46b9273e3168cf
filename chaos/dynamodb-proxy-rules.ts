/**
 * The fault proxy's rules: how a rule is checked and named, how it matches a request, and
 * how the fate of a request is decided. Latency rules that fire add up; the first other
 * rule that fires decides the fate. Every chance is drawn from the proxy's seeded source,
 * so the same seed hits the same requests.
 */
import type { ParsedRequest } from './dynamodb-proxy-wire.ts';
import { DynamoDbErrors, type DynamoDbFault, type DynamoDbFaultRule, type LatencySpec } from './fault-catalog.ts';
import { normal, type Random } from './random.ts';

const DEFAULT_MAX_LATENCY_MS = 30_000;

export type NamedRule = DynamoDbFaultRule & { id: string };
/** A fault that decides the request's fate (every kind but latency). */
export type TerminalFault = Exclude<DynamoDbFault, { kind: 'latency' }>;

/** The fate of one request. */
export interface Decision {
  /** Latency added before forwarding, and after DynamoDB answered. */
  beforeMs: number;
  afterMs: number;
  /** The first latency rule that fired. */
  latencyRuleId?: string;
  terminal?: { ruleId: string; fault: TerminalFault };
}

/** Draws one latency from a spec, clamped to [0, maxMs]. */
export function drawLatency(spec: LatencySpec, random: Random): number {
  const cap = spec.type === 'fixed' ? Number.POSITIVE_INFINITY : (spec.maxMs ?? DEFAULT_MAX_LATENCY_MS);
  let ms: number;
  switch (spec.type) {
    case 'fixed':
      ms = spec.ms;
      break;
    case 'jitter':
      ms = spec.ms + (random() * 2 - 1) * spec.jitterMs;
      break;
    case 'normal':
      ms = spec.meanMs + normal(random) * spec.stdDevMs;
      break;
    case 'lognormal':
      ms = spec.medianMs * Math.exp(spec.sigma * normal(random));
      break;
    case 'exponential':
      ms = -spec.meanMs * Math.log(1 - random());
      break;
  }
  return Math.round(Math.min(cap, Math.max(0, ms)));
}

export function matches(rule: DynamoDbFaultRule, request: ParsedRequest): boolean {
  const { operations, tables, indexes } = rule.match ?? {};
  if (operations && !operations.includes(request.operation)) return false;
  if (tables && !request.tables.some((t) => tables.includes(t))) return false;
  if (indexes && (request.index === undefined || !indexes.includes(request.index))) return false;
  return true;
}

/** Throws a RangeError for a rule DynamoDB could not produce or the proxy cannot apply. */
export function validateRule(rule: DynamoDbFaultRule): void {
  const name = `fault rule ${rule.id ?? ''}`;
  const p = rule.probability ?? 1;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name}: probability must be within 0..1, got ${p}`);
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new RangeError(`${name}: times must be a positive integer, got ${rule.times}`);
  }
  const { fault } = rule;
  if (fault.kind === 'error') {
    const error = DynamoDbErrors[fault.error];
    if (!error) throw new RangeError(`${name}: unknown DynamoDB error ${String(fault.error)}`);
    if (error.sdkErrorType === 'THROTTLING' && fault.phase === 'after') {
      throw new RangeError(
        `${name}: ${fault.error} is a throttle, which DynamoDB never applies: phase must be 'before'`,
      );
    }
  }
}

/** The rules in force, in order, with what is left of each rule's `times`. */
export class FaultRuleSet {
  private rules: NamedRule[] = [];
  /** Firings left, for rules with `times`. */
  private readonly left = new WeakMap<NamedRule, number>();
  private nextRuleId = 1;
  private readonly random: Random;

  constructor(random: Random, rules: DynamoDbFaultRule[] = []) {
    this.random = random;
    this.replace(rules);
  }

  get list(): readonly Readonly<NamedRule>[] {
    return this.rules;
  }

  replace(rules: DynamoDbFaultRule[]): void {
    this.rules = rules.map((rule) => this.named(rule));
  }

  add(rule: DynamoDbFaultRule): string {
    const named = this.named(rule);
    this.rules = [...this.rules, named];
    return named.id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  /** Picks the fate of a request: the summed latency of latency rules, and the first other rule that fires. */
  decide(request: ParsedRequest): Decision {
    const decision: Decision = { beforeMs: 0, afterMs: 0 };
    for (const rule of this.rules) {
      if (!this.fires(rule, request)) continue;
      if (rule.fault.kind !== 'latency') {
        decision.terminal = { ruleId: rule.id, fault: rule.fault };
        break;
      }
      const ms = drawLatency(rule.fault.latency, this.random);
      if (rule.fault.phase === 'after') decision.afterMs += ms;
      else decision.beforeMs += ms;
      decision.latencyRuleId ??= rule.id;
    }
    return decision;
  }

  /** Whether `rule` hits this request (and uses up one of its `times` if it does). */
  private fires(rule: NamedRule, request: ParsedRequest): boolean {
    if (!matches(rule, request)) return false;
    const left = this.left.get(rule);
    if (left === 0) return false;
    if (this.random() >= (rule.probability ?? 1)) return false;
    if (left !== undefined) this.left.set(rule, left - 1);
    return true;
  }

  private named(rule: DynamoDbFaultRule): NamedRule {
    validateRule(rule);
    const named = { ...rule, id: rule.id ?? `rule-${this.nextRuleId++}` };
    if (named.times !== undefined) this.left.set(named, named.times);
    return named;
  }
}
