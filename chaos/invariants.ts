/**
 * The invariants an experiment checks after its run, against the store itself and the
 * responses the clients got:
 * - every order acknowledged with a 2xx is in DynamoDB with the acknowledged content;
 * - no idempotency key produced two orders, although clients retried and resent;
 * - every error response followed the contract (problem+json, Retry-After on 503/429,
 *   only the expected 5xx codes, no internals in a 5xx body);
 * - after each fault window, the service was back within its latency and availability
 *   objectives within the recovery budget;
 * - where the experiment asks (a crash of the local store), every secondary index holds
 *   exactly the table's items: no entry without its item, none stale, none missing.
 */
import type { RouteGroup } from '../service/catalog/index.ts';
import type { Order } from '../service/catalog/index.ts';
import { DYNAMODB_ERROR_NAMES } from './fault-catalog.ts';
import type { Customer, OrderIntent } from './order-client.ts';
import type { RecordedResponse } from './responses.ts';
import type { IndexShape, StoreReader } from './store-reader.ts';
import type { Bucket } from './timeline.ts';

export const InvariantIds = {
  AcknowledgedOrdersDurable: 'acknowledged-orders-durable',
  NoDuplicateOrders: 'no-duplicate-orders',
  ErrorContract: 'error-contract',
  IndexesMatchTable: 'indexes-match-table',
  Recovery: 'recovery-time',
  OrdersReconcile: 'orders-reconcile',
  AlarmsAsExpected: 'alarms-as-expected',
} as const;
export type InvariantId = (typeof InvariantIds)[keyof typeof InvariantIds];

export interface InvariantResult {
  id: InvariantId;
  title: string;
  status: 'held' | 'violated' | 'skipped';
  summary: string;
  /** How many things were checked (orders, keys, responses, windows). */
  checked: number;
  violationCount: number;
  /** The first violations, for the report. */
  violations: string[];
  measured?: Record<string, number | null>;
}

const MAX_LISTED = 25;

export function result(
  id: InvariantId,
  title: string,
  checked: number,
  violations: string[],
  summary: string,
  measured?: InvariantResult['measured'],
): InvariantResult {
  return {
    id,
    title,
    status: violations.length === 0 ? 'held' : 'violated',
    summary,
    checked,
    violationCount: violations.length,
    violations: violations.slice(0, MAX_LISTED),
    ...(measured ? { measured } : {}),
  };
}

export function skipped(id: InvariantId, title: string, reason: string): InvariantResult {
  return { id, title, status: 'skipped', summary: reason, checked: 0, violationCount: 0, violations: [] };
}

/** The parts of an order that never change after it was placed. */
function placedContent(order: Order) {
  return {
    id: order.id,
    userId: order.userId,
    items: order.items,
    total: order.total,
    currency: order.currency,
    note: order.note ?? null,
    createdAt: order.createdAt,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export async function checkAcknowledgedOrders(
  intents: readonly OrderIntent[],
  reader: StoreReader,
): Promise<InvariantResult> {
  const title = 'Every acknowledged order is in DynamoDB with the acknowledged content';
  const acknowledged = intents.filter((i) => i.acknowledged);
  const violations: string[] = [];
  for (const intent of acknowledged) {
    const ack = intent.acknowledged as Order;
    const stored = await reader.getOrder(ack.id);
    if (!stored) violations.push(`key ${intent.key}: order ${ack.id} was acknowledged but is not in the table`);
    else if (!same(placedContent(stored), placedContent(ack))) {
      violations.push(
        `key ${intent.key}: order ${ack.id} differs: acknowledged ${JSON.stringify(placedContent(ack))}, stored ${JSON.stringify(placedContent(stored))}`,
      );
    }
  }
  return result(
    InvariantIds.AcknowledgedOrdersDurable,
    title,
    acknowledged.length,
    violations,
    `${acknowledged.length - violations.length} of ${acknowledged.length} acknowledged orders found intact`,
  );
}

/**
 * Per customer (each used only by the audited workload), the orders in the byUser index
 * against the idempotency keys the customer sent: more orders than keys is a duplicate,
 * and so is one key acknowledged with two order ids.
 */
export async function checkNoDuplicateOrders(
  intents: readonly OrderIntent[],
  customers: readonly Customer[],
  reader: StoreReader,
): Promise<InvariantResult> {
  const title = 'No idempotency key produced two orders';
  const violations: string[] = [];
  let stored = 0;
  let keys = 0;
  let resent = 0;
  for (const intent of intents) {
    const ids = new Set(intent.acknowledgedIds);
    if (intent.attempts.length > 1) resent += 1;
    if (ids.size > 1)
      violations.push(`key ${intent.key} was acknowledged as ${ids.size} different orders: ${[...ids].join(', ')}`);
  }
  for (const customer of customers) {
    const sent = new Set(
      intents.filter((i) => i.userId === customer.userId && i.attempts.length > 0).map((i) => i.key),
    );
    const orders = await reader.listUserOrders(customer.userId);
    stored += orders.length;
    keys += sent.size;
    if (orders.length > sent.size) {
      violations.push(
        `customer ${customer.userId} sent ${sent.size} idempotency keys but has ${orders.length} orders (${orders.length - sent.size} duplicates)`,
      );
    }
  }
  return result(
    InvariantIds.NoDuplicateOrders,
    title,
    keys,
    violations,
    `${keys} keys (${resent} of them sent more than once), ${stored} orders stored`,
    { keys, storedOrders: stored, resentKeys: resent, duplicates: Math.max(0, stored - keys) },
  );
}

type Item = Record<string, unknown>;

/** JSON with object keys sorted, so an index entry and its item compare by content. */
const canonical = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

/** How one index differs from the items that should be in it (each entry named by its table key). */
function indexDifferences(
  index: IndexShape,
  tableKey: (item: Item) => string,
  table: readonly Item[],
  entries: readonly Item[],
) {
  const expected = new Map<string, Item>();
  for (const item of table)
    if (item[index.partitionKey] !== undefined && item[index.sortKey] !== undefined) expected.set(tableKey(item), item);
  const listed = new Map<string, Item[]>();
  for (const entry of entries) listed.set(tableKey(entry), [...(listed.get(tableKey(entry)) ?? []), entry]);
  const found = {
    orphans: [] as string[],
    /** "<key> <n> times" */ duplicates: [] as string[],
    stale: [] as string[],
    missing: [] as string[],
  };
  for (const [key, copies] of listed) {
    const item = expected.get(key);
    if (!item) found.orphans.push(key);
    else if (copies.length > 1) found.duplicates.push(`${key} ${copies.length} times`);
    else if (canonical(copies[0]) !== canonical(item)) found.stale.push(key);
  }
  for (const key of expected.keys()) if (!listed.has(key)) found.missing.push(key);
  return found;
}

/**
 * Every secondary index against the table, after the run: an entry whose item is not in
 * the table (an order a client would see twice, or that does not exist), two entries for
 * one item, an entry that differs from its item, or an item the index lacks. DynamoDB
 * keeps its indexes so; a store that crashed between an index write and an item write
 * does not (the embedded store repairs itself when it opens; this is what proves it did).
 */
export async function checkIndexesMatchTable(reader: StoreReader): Promise<InvariantResult> {
  const title = 'Every secondary index holds exactly the items of the table';
  const [pk, sk] = reader.keyAttributes;
  const tableKey = (item: Item) => `${String(item[pk])} ${String(item[sk])}`;
  const table = await reader.scan();
  const violations: string[] = [];
  const measured: Record<string, number> = { tableItems: table.length };
  let entries = 0;
  for (const index of reader.indexes) {
    const listed = await reader.scan(index.name);
    entries += listed.length;
    const found = indexDifferences(index, tableKey, table, listed);
    for (const key of found.orphans) violations.push(`index ${index.name} lists ${key}, which is not in the table`);
    for (const times of found.duplicates) violations.push(`index ${index.name} lists ${times}`);
    for (const key of found.stale) violations.push(`index ${index.name}'s entry for ${key} differs from the item`);
    for (const key of found.missing) violations.push(`index ${index.name} lacks ${key}`);
    Object.assign(measured, {
      [`${index.name}Entries`]: listed.length,
      [`${index.name}Orphans`]: found.orphans.length,
      [`${index.name}Stale`]: found.stale.length + found.duplicates.length,
      [`${index.name}Missing`]: found.missing.length,
    });
  }
  return result(
    InvariantIds.IndexesMatchTable,
    title,
    entries,
    violations,
    `${table.length} items, ${entries} index entries over ${reader.indexes.length} indexes, ${violations.length} differences`,
    measured,
  );
}

/** A 5xx the experiment expects (status and problem `code`). */
export interface ExpectedServerError {
  status: number;
  code: string;
}

/** Text that must never reach a client in a 5xx: stack frames, SDK and socket internals. */
const LEAK_PATTERNS: readonly RegExp[] = [
  /\bat\s+[\w.<>$]+\s+\(/,
  /\(?(?:file:\/\/)?\/[\w./-]+\.(?:ts|js|mjs):\d+(?::\d+)?\)?/,
  /node_modules/,
  /__type|\$metadata|\$fault|x-amzn-requestid/i,
  new RegExp(
    `\\b(?:${[...DYNAMODB_ERROR_NAMES, 'ConditionalCheckFailedException', 'ResourceNotFoundException', 'ValidationException', 'TimeoutError'].join('|')})\\b`,
  ),
  /\bE(?:CONNRESET|CONNREFUSED|TIMEDOUT|PIPE)\b|socket hang up/,
  /injected exception/i,
];

function contractViolation(r: RecordedResponse, expected: readonly ExpectedServerError[]): string | undefined {
  const status = r.status as number;
  const where = `${r.route} -> ${status}`;
  if (!r.contentType?.toLowerCase().startsWith('application/problem+json'))
    return `${where}: content-type ${r.contentType ?? '(none)'} is not application/problem+json`;
  if (
    (status === 503 || status === 429) &&
    !/^\s*\d+\s*$/.test(r.retryAfter ?? '') &&
    Number.isNaN(Date.parse(r.retryAfter ?? ''))
  ) {
    return `${where}: no valid Retry-After header`;
  }
  if (r.body === undefined) return undefined;
  let problem: Record<string, unknown>;
  try {
    problem = JSON.parse(r.body) as Record<string, unknown>;
  } catch {
    return `${where}: the body is not JSON`;
  }
  for (const field of ['type', 'title', 'code', 'detail'] as const) {
    if (typeof problem[field] !== 'string') return `${where}: problem member "${field}" is missing`;
  }
  if (problem.status !== status)
    return `${where}: problem status ${String(problem.status)} differs from the HTTP status`;
  if (status >= 500) {
    if (!expected.some((e) => e.status === status && e.code === problem.code)) {
      return `${where}: unexpected server error code "${String(problem.code)}" (expected ${expected.map((e) => `${e.status} ${e.code}`).join(', ') || 'none'})`;
    }
    const leak = LEAK_PATTERNS.find((pattern) => pattern.test(r.body as string));
    if (leak) return `${where}: the body leaks internals (${leak.source.slice(0, 40)}): ${r.body.slice(0, 160)}`;
  }
  return undefined;
}

export function checkErrorContract(
  responses: readonly RecordedResponse[],
  expected: readonly ExpectedServerError[],
): InvariantResult {
  const title = 'Every error response followed the contract';
  const errors = responses.filter((r) => r.status !== undefined && r.status >= 400);
  const violations: string[] = [];
  const byStatus: Record<string, number> = {};
  let withBody = 0;
  for (const r of errors) {
    byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + 1;
    if (r.body !== undefined) withBody += 1;
    const problem = contractViolation(r, expected);
    if (problem) violations.push(problem);
  }
  const noResponse = responses.filter((r) => r.status === undefined).length;
  const statuses =
    Object.entries(byStatus)
      .map(([s, n]) => `${n}x${s}`)
      .join(', ') || 'none';
  return result(
    InvariantIds.ErrorContract,
    title,
    errors.length,
    violations,
    `${errors.length} error responses (${statuses}; ${withBody} with bodies read), ${noResponse} requests without a response`,
    { errorResponses: errors.length, bodiesRead: withBody, noResponse },
  );
}

export interface RecoveryOptions {
  buckets: readonly Bucket[];
  /** Fault windows as epoch ms. */
  windows: readonly { start: number; end: number }[];
  /** Latency objective per route group. */
  thresholds: ReadonlyMap<RouteGroup, number>;
  budgetMs: number;
  /** Consecutive good seconds that count as recovered. Default 3. */
  stableBuckets?: number;
}

/** A second is good when no group has a server error and each group's p99 is within its objective. */
export function isGoodBucket(bucket: Bucket, thresholds: ReadonlyMap<RouteGroup, number>): boolean {
  if (bucket.all.serverErrors > 0) return false;
  for (const [group, stats] of Object.entries(bucket.groups) as [
    RouteGroup,
    NonNullable<Bucket['groups'][RouteGroup]>,
  ][]) {
    const threshold = thresholds.get(group);
    if (threshold !== undefined && stats.p99Ms > threshold) return false;
  }
  return true;
}

/**
 * Ms from a window's end until `stableBuckets` good seconds in a row begin, looking only
 * until `until` (the next window's start); undefined when that never happens.
 */
export function recoveryAfter(
  window: { end: number },
  options: RecoveryOptions,
  until = Number.POSITIVE_INFINITY,
): number | undefined {
  const stable = options.stableBuckets ?? 3;
  const after = options.buckets.filter((b) => b.start + 1_000 > window.end && b.start < until);
  for (let i = 0; i + stable <= after.length; i++) {
    const run = after.slice(i, i + stable);
    if (run.every((b) => isGoodBucket(b, options.thresholds)) && run.some((b) => b.all.requests > 0)) {
      return Math.max(0, (run[0] as Bucket).start - window.end);
    }
  }
  return undefined;
}

export function checkRecovery(options: RecoveryOptions): InvariantResult {
  const title = 'The service is back within its objectives soon after each fault';
  const violations: string[] = [];
  const notes: string[] = [];
  const measured: Record<string, number | null> = {};
  const windows = [...options.windows].sort((a, b) => a.start - b.start);
  windows.forEach((window, i) => {
    const next = windows[i + 1]?.start;
    const ms = recoveryAfter(window, options, next);
    measured[`window${i + 1}RecoveryMs`] = ms ?? null;
    if (ms !== undefined) {
      if (ms > options.budgetMs)
        violations.push(`fault window ${i + 1}: recovered after ${ms} ms, over the ${options.budgetMs} ms budget`);
    } else if (next !== undefined && next - window.end <= options.budgetMs) {
      // The next fault began within the budget: this window's recovery cannot be seen.
      notes.push(
        `window ${i + 1}: the next fault began ${next - window.end} ms after it, before recovery could be measured`,
      );
    } else {
      violations.push(
        `fault window ${i + 1}: not back within the objectives ${next === undefined ? 'before the run ended' : 'before the next fault began'}`,
      );
    }
  });
  const values = Object.values(measured).filter((v): v is number => v !== null);
  const worst = values.length ? Math.max(...values) : undefined;
  const summary =
    windows.length === 0
      ? 'no fault window'
      : violations.length && worst === undefined
        ? 'did not recover'
        : `recovered ${worst ?? '?'} ms after the fault ended (budget ${options.budgetMs} ms)${notes.length ? `; ${notes.join('; ')}` : ''}`;
  return result(InvariantIds.Recovery, title, windows.length, violations, summary, {
    ...measured,
    budgetMs: options.budgetMs,
  });
}
