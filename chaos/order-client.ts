/**
 * The audited order workload of an experiment: a few customers placing orders the way a
 * careful client does (an `Idempotency-Key` per order, retried with the same key and body
 * after a 503/429 as `Retry-After` says, after a 5xx, a timeout or a dropped connection),
 * and now and then sending an acknowledged order again, as a client whose response was
 * lost would. Every attempt is recorded, so the invariants know exactly which keys each
 * customer sent and which orders the service acknowledged.
 *
 * The load-test engine runs beside it for the traffic mix and the latency picture; this
 * workload exists because the invariants need bookkeeping a load generator does not keep
 * (the key and body behind every acknowledgement).
 */
import { createRetryPolicy } from '../loadtests/index.ts';
import type { Order, Product, Size } from '../service/catalog/index.ts';
import { integerBetween, type Random } from './random.ts';
import { fromFetch, networkErrorName, type RecordedResponse } from './responses.ts';

export interface OrderAttempt {
  /** Epoch ms when the attempt was sent. */
  at: number;
  latencyMs: number;
  /** Absent when no HTTP response came (timeout, reset, refused). */
  status?: number;
  networkError?: string;
  orderId?: string;
  /** A deliberate resend of an acknowledged order (its response "was lost"). */
  replay: boolean;
}

export interface OrderIntent {
  key: string;
  userId: string;
  body: { items: { productId: string; quantity: number; size: Size }[]; note?: string };
  attempts: OrderAttempt[];
  /** The first acknowledgement (2xx) and what it said. */
  acknowledged?: Order;
  /** Every order id a 2xx named for this key (two different ids are a duplicate). */
  acknowledgedIds: string[];
  outcome: 'acknowledged' | 'rejected' | 'gave-up' | 'pending';
}

export interface Customer {
  userId: string;
  token: string;
}

export interface OrderClientOptions {
  /** A function, because a restarted service may be asked for by a new URL. */
  baseUrl: () => string;
  random: Random;
  /** Prefix of idempotency keys and customer e-mails; unique per run. */
  runId: string;
  /** Customers registered at setup. Default 8. */
  customers?: number;
  /** New orders per second. Default 5. */
  ratePerSecond?: number;
  /** Attempts per order, the first included. Default 8. */
  maxAttempts?: number;
  /** Client timeout per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Chance that an acknowledged order is sent once more with the same key. Default 0.1. */
  replayProbability?: number;
  /**
   * Longest wait between attempts, whatever `Retry-After` says. Default 2 s, below the
   * retry policy's default: the orders must settle within the experiment's drain window.
   */
  maxBackoffMs?: number;
  /** Orders in flight at most; the ticker skips while full. Default 32. */
  maxInFlight?: number;
  onResponse?: (response: RecordedResponse) => void;
  /** Waits between attempts. Default a timer. */
  sleep?: (ms: number) => Promise<void>;
}

export interface OrderClient {
  readonly customers: readonly Customer[];
  /** Registers the customers and reads the menu. Run it before any fault. */
  setup(): Promise<void>;
  start(): void;
  /** Stops new orders and lets orders in flight finish their retries (for up to `drainMs`). */
  stop(drainMs?: number): Promise<OrderIntent[]>;
}

// 5xx too, beside what says "try again later" (and no answer): an order whose write may
// have been applied is sent again with its key, which is what the duplicate invariant probes.
const RETRYABLE_STATUSES: readonly number[] = [0, 429, 500, 502, 503, 504];

interface Sent {
  record: RecordedResponse;
  text?: string;
}

/** Starts nothing: `setup()` registers the customers, `start()` begins placing orders. */
export function createOrderClient(options: OrderClientOptions): OrderClient {
  return new AuditedOrderClient(options);
}

/** What the workload needs of its options once the defaults are filled in. */
type Settings = Required<Omit<OrderClientOptions, 'onResponse'>> & Pick<OrderClientOptions, 'onResponse'>;

/** The customers, the menu, every intent so far and the orders in flight. */
class AuditedOrderClient implements OrderClient {
  readonly customers: Customer[] = [];
  private readonly settings: Settings;
  private readonly retry: ReturnType<typeof createRetryPolicy>;
  private readonly intents: OrderIntent[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private products: Product[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private stopping = false;
  private drainDeadline = Number.POSITIVE_INFINITY;
  private sequence = 0;

  constructor({
    customers = 8,
    ratePerSecond = 5,
    maxAttempts = 8,
    timeoutMs = 5_000,
    replayProbability = 0.1,
    maxBackoffMs = 2_000,
    maxInFlight = 32,
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...rest
  }: OrderClientOptions) {
    this.settings = {
      ...rest,
      customers,
      ratePerSecond,
      maxAttempts,
      timeoutMs,
      replayProbability,
      maxBackoffMs,
      maxInFlight,
      sleep,
    };
    this.retry = createRetryPolicy({
      maxRetries: maxAttempts - 1,
      maxBackoffMs,
      retryableStatuses: RETRYABLE_STATUSES,
    });
  }

  async setup(): Promise<void> {
    this.products = await this.readMenu();
    for (let i = 0; i < this.settings.customers; i++) this.customers.push(await this.register(i));
  }

  start(): void {
    if (this.customers.length === 0) throw new Error('setup() first');
    this.ticker = setInterval(() => this.tick(), Math.max(5, Math.round(1000 / this.settings.ratePerSecond)));
  }

  async stop(drainMs = 10_000): Promise<OrderIntent[]> {
    this.stopping = true;
    if (this.ticker) clearInterval(this.ticker);
    this.drainDeadline = Date.now() + drainMs;
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise((resolve) => {
      timer = setTimeout(resolve, drainMs + this.settings.timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), cap]);
    clearTimeout(timer);
    return this.intents;
  }

  /** The products a customer can order: available and with at least one price. */
  private async readMenu(): Promise<Product[]> {
    const menu = await this.send('GET', 'GET /menu', '/menu');
    if (menu.record.status !== 200)
      throw new Error(`GET /menu failed during setup (${menu.record.status ?? menu.record.networkError})`);
    const products =
      (JSON.parse(menu.text ?? '{}') as { items?: Product[] }).items?.filter(
        (p) => p.available && Object.keys(p.prices).length > 0,
      ) ?? [];
    if (products.length === 0) throw new Error('the menu has no available product to order');
    return products;
  }

  private async register(index: number): Promise<Customer> {
    const { runId } = this.settings;
    const registered = await this.send('POST', 'POST /users', '/users', {
      body: { email: `chaos-${runId}-${index}@example.com`.toLowerCase(), name: `Chaos customer ${index}` },
    });
    if (registered.record.status !== 201)
      throw new Error(
        `POST /users failed during setup (${registered.record.status ?? registered.record.networkError})`,
      );
    const { user, token } = JSON.parse(registered.text ?? '{}') as { user: { id: string }; token: string };
    return { userId: user.id, token };
  }

  /** One new order per tick, unless stopping or as many orders as allowed are in flight. */
  private tick(): void {
    const { random, runId, maxInFlight } = this.settings;
    if (this.stopping || this.inFlight.size >= maxInFlight) return;
    const customer = this.customers[integerBetween(random, 0, this.customers.length - 1)] as Customer;
    const intent: OrderIntent = {
      key: `${runId}.${++this.sequence}`,
      userId: customer.userId,
      body: this.randomOrder(),
      attempts: [],
      acknowledgedIds: [],
      outcome: 'pending',
    };
    this.intents.push(intent);
    const running: Promise<void> = this.place(intent, customer).finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  private randomOrder(): OrderIntent['body'] {
    const { random, runId } = this.settings;
    const items = Array.from({ length: integerBetween(random, 1, 3) }, () => {
      const product = this.products[integerBetween(random, 0, this.products.length - 1)] as Product;
      const sizes = Object.keys(product.prices) as Size[];
      return {
        productId: product.id,
        quantity: integerBetween(random, 1, 3),
        size: sizes[integerBetween(random, 0, sizes.length - 1)] as Size,
      };
    });
    return random() < 0.3 ? { items, note: `chaos run ${runId}` } : { items };
  }

  /** Attempts until acknowledged, rejected, out of attempts or past the drain deadline. */
  private async place(intent: OrderIntent, customer: Customer): Promise<void> {
    const { maxAttempts, random, replayProbability, sleep } = this.settings;
    for (let n = 1; n <= maxAttempts; n++) {
      const { next, retryAfter } = await this.attempt(intent, customer, false);
      if (next === 'ack') {
        intent.outcome = 'acknowledged';
        if (random() < replayProbability) await this.attempt(intent, customer, true);
        return;
      }
      if (next === 'reject') {
        intent.outcome = 'rejected';
        return;
      }
      const backoff = this.retry.backoffMs(n, retryAfter, random());
      if (n === maxAttempts || Date.now() + backoff > this.drainDeadline) break;
      await sleep(backoff);
    }
    intent.outcome = 'gave-up';
  }

  /** One POST; returns what to do next and the answer's `Retry-After`. */
  private async attempt(
    intent: OrderIntent,
    customer: Customer,
    replay: boolean,
  ): Promise<{ next: 'ack' | 'retry' | 'reject'; retryAfter?: string }> {
    const { record, text } = await this.send('POST', 'POST /orders', '/orders', {
      token: customer.token,
      key: intent.key,
      body: intent.body,
    });
    const entry: OrderAttempt = { at: record.at, latencyMs: record.latencyMs, replay };
    intent.attempts.push(entry);
    if (record.status === undefined) {
      entry.networkError = record.networkError ?? 'network error';
      return { next: 'retry' };
    }
    entry.status = record.status;
    if (record.status >= 200 && record.status < 300) {
      const order = (JSON.parse(text ?? '{}') as { order: Order }).order;
      entry.orderId = order.id;
      intent.acknowledged ??= order;
      intent.acknowledgedIds.push(order.id);
      return { next: 'ack' };
    }
    if (!this.retry.isRetryable(record.status)) return { next: 'reject' };
    return record.retryAfter === undefined ? { next: 'retry' } : { next: 'retry', retryAfter: record.retryAfter };
  }

  /** One request, recorded and reported whether or not an HTTP response came. */
  private async send(
    method: string,
    route: string,
    path: string,
    options: { token?: string; key?: string; body?: unknown } = {},
  ): Promise<Sent> {
    const { baseUrl, timeoutMs, onResponse } = this.settings;
    const at = Date.now();
    let sent: Sent;
    try {
      const response = await fetch(new URL(path, baseUrl()), {
        method,
        headers: this.headers(options),
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      sent = {
        record: fromFetch({ source: 'order-client', method, route, at, latencyMs: Date.now() - at }, response, text),
        text,
      };
    } catch (error) {
      const networkError = networkErrorName(error);
      sent = { record: { source: 'order-client', method, route, at, latencyMs: Date.now() - at, networkError } };
    }
    onResponse?.(sent.record);
    return sent;
  }

  private headers(options: { token?: string; key?: string; body?: unknown }): Record<string, string> {
    const headers: Record<string, string> = { 'x-load-run-id': this.settings.runId };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.key) headers['idempotency-key'] = options.key;
    return headers;
  }
}
