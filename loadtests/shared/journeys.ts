/**
 * The customer journeys both engines run, as data plus small pure functions.
 *
 * A journey is a list of steps. Each step builds one request from what the iteration knows
 * so far (or returns `undefined` to skip itself), and may read what later steps need from
 * the answer. An engine runs the steps in order with a think time between them, checks
 * every answer against the step's expected statuses, and ends the journey early when a
 * check fails or a step says there is nothing more to do. The Node engine drives the
 * steps asynchronously, k6 synchronously: nothing here awaits, sleeps or does I/O, so the
 * same file runs under both (it imports only relative, pure files).
 */
import { type RouteKey, OrderStatuses, type OrderStatus, type Size } from '../../service/catalog/index.ts';
import type { Rng } from './rng.ts';
import { tokenAt, type TokenPool } from './tokens.ts';

/** One HTTP request a step wants sent. The method comes from `route`. */
export interface RequestSpec {
  /** `METHOD /template` from the catalog's `ROUTES`: names the route and its route group. */
  route: RouteKey;
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Bearer token of the caller, if the route needs one. */
  token?: string;
  headers?: Record<string, string>;
  /** Sent as `Idempotency-Key`; a retry sends the same key. */
  idempotencyKey?: string;
  /** Statuses that pass this step's check. */
  expect: readonly number[];
  /**
   * May be retried on 429, 503 and network errors (same Idempotency-Key, back-off honouring
   * Retry-After). Only for requests that are safe to repeat.
   */
  retry?: boolean;
}

export interface StepResponse {
  /** 0 when the request failed on the network (refused, reset, timed out). */
  status: number;
  body: string;
  headers: Readonly<Record<string, string>>;
}

/** A product as a journey needs it: something it can order, in sizes it comes in. */
export interface MenuChoice {
  id: string;
  sizes: Size[];
}

/** A virtual user: one identity that lives across iterations (k6's VU, the engine's VU pool). */
export interface VirtualUser {
  /** Unique within the test run (across workers and k6 instances). */
  readonly id: number;
  /** The user's own customer account; `userId` is unknown when the token came from a pool. */
  customer?: { token: string; userId?: string };
  barista?: { token: string };
  /** What this user last read from `GET /menu`. */
  menu?: MenuChoice[];
}

/** What one step hands to the next within an iteration. */
export interface IterationVars {
  token?: string;
  orderId?: string;
  version?: number;
  status?: OrderStatus;
}

export interface IterationContext {
  readonly runId: string;
  /** Index of the iteration in the whole run (arrival order), the key to its data. */
  readonly iteration: number;
  readonly vu: VirtualUser;
  readonly rng: Rng;
  readonly vars: IterationVars;
  /**
   * Pre-issued tokens (an external issuer such as Cognito). Without them, customers get
   * their tokens from registration and baristas from the dev issuer.
   */
  readonly tokens?: TokenPool;
}

export interface Step {
  /** The check's name; also shown per step in the summary. */
  name: string;
  request(ctx: IterationContext): RequestSpec | undefined;
  /** Called when the check passed. Returning `false` ends the journey (nothing left to do). */
  after?(ctx: IterationContext, response: StepResponse): boolean | void;
}

export interface Journey {
  name: string;
  description: string;
  /** Relative share of arrivals. */
  weight: number;
  /** Pause between steps, drawn uniformly from the iteration's generator. */
  thinkTimeMs: { min: number; max: number };
  steps: readonly Step[];
}

export const JourneyNames = {
  BrowseMenu: 'browse-menu',
  FirstOrder: 'first-order',
  ReturningCustomer: 'returning-customer',
  BaristaQueue: 'barista-queue',
} as const;
export type JourneyName = (typeof JourneyNames)[keyof typeof JourneyNames];

/** The baggage and headers every request of a run carries, so the service's telemetry can be tied to it. */
export function runHeaders(runId: string): Record<string, string> {
  return {
    'x-load-run-id': runId,
    baggage: `coffee.run_id=${runId},synthetic=true`,
    'user-agent': 'coffee-load/1.0 (synthetic)',
  };
}

/** Parses a JSON answer, or `undefined` when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The orderable products of a `GET /menu` answer. */
export function readMenu(body: string): MenuChoice[] | undefined {
  const parsed = parseJson(body);
  if (!isRecord(parsed) || !Array.isArray(parsed.items)) return undefined;
  const choices: MenuChoice[] = [];
  for (const item of parsed.items) {
    if (!isRecord(item) || typeof item.id !== 'string' || item.available === false || !isRecord(item.prices)) continue;
    const sizes = Object.keys(item.prices).filter(
      (s) => typeof (item.prices as Record<string, unknown>)[s] === 'number',
    ) as Size[];
    if (sizes.length > 0) choices.push({ id: item.id, sizes });
  }
  return choices.length > 0 ? choices : undefined;
}

function readOrder(body: string): { id: string; version: number; status: OrderStatus } | undefined {
  const parsed = parseJson(body);
  const order = isRecord(parsed) ? parsed.order : undefined;
  if (!isRecord(order) || typeof order.id !== 'string' || typeof order.version !== 'number') return undefined;
  return { id: order.id, version: order.version, status: order.status as OrderStatus };
}

const NOTES = ['extra hot', 'oat milk please', 'no sugar', 'for here', 'to go'] as const;
const FIRST_NAMES = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Margaret',
  'Ken',
  'Radia',
  'Linus',
] as const;

/** A seeded order body: one to three distinct products, quantities 1-2, sometimes a note. */
export function orderBody(
  rng: Rng,
  menu: readonly MenuChoice[],
): { items: { productId: string; quantity: number; size: Size }[]; note?: string } {
  const count = Math.min(menu.length, rng.int(1, 3));
  const pool = [...menu];
  const items: { productId: string; quantity: number; size: Size }[] = [];
  for (let i = 0; i < count; i++) {
    const index = rng.int(0, pool.length - 1);
    const product = pool.splice(index, 1)[0] as MenuChoice;
    items.push({ productId: product.id, quantity: rng.int(1, 2), size: rng.pick(product.sizes) });
  }
  return rng.chance(0.2) ? { items, note: rng.pick(NOTES) } : { items };
}

/** A unique, seeded address for a registration (unique per run through the run id). */
export function emailFor(runId: string, key: string): string {
  return `load-${runId}-${key}@load.example.com`.toLowerCase();
}

/** Reads `{user, token}` from a registration answer. */
function readRegistration(body: string): { token: string; userId: string } | undefined {
  const parsed = parseJson(body);
  if (
    !isRecord(parsed) ||
    typeof parsed.token !== 'string' ||
    !isRecord(parsed.user) ||
    typeof parsed.user.id !== 'string'
  )
    return undefined;
  return { token: parsed.token, userId: parsed.user.id };
}

// ---- steps shared by several journeys ----

/** The customer acting in this iteration: one registered in it, else the virtual user's own. */
function customerToken(ctx: IterationContext): string | undefined {
  return ctx.vars.token ?? ctx.vu.customer?.token;
}

/** The virtual user's barista token: its pool token, else the one the dev issuer minted for it. */
function baristaToken(ctx: IterationContext): string | undefined {
  return ctx.vu.barista?.token ?? (ctx.tokens ? tokenAt(ctx.tokens.baristas, ctx.vu.id - 1) : undefined);
}

/**
 * A customer registration. With the dev issuer it creates the identity and answers its
 * token. With pre-issued tokens the identity exists already, so the step creates the
 * profile for the pool's token; 409 means this identity registered before (earlier in the
 * run or in an earlier one), which a pool smaller than the run makes normal.
 */
function registration(ctx: IterationContext, key: string, name: string, poolIndex: number): RequestSpec {
  const body = { email: emailFor(ctx.runId, key), name };
  if (!ctx.tokens) return { route: 'POST /users', path: '/users', body, expect: [201] };
  return {
    route: 'POST /users',
    path: '/users',
    body,
    token: tokenAt(ctx.tokens.customers, poolIndex),
    expect: [201, 409],
  };
}

/** The token and user a registration step ends with, or `undefined` when the answer is not one. */
function registeredCustomer(
  ctx: IterationContext,
  poolIndex: number,
  response: StepResponse,
): { token: string; userId?: string } | undefined {
  return ctx.tokens ? { token: tokenAt(ctx.tokens.customers, poolIndex) } : readRegistration(response.body);
}

const listMenu: Step = {
  name: 'menu listed',
  request: () => ({ route: 'GET /menu', path: '/menu', expect: [200] }),
  after(ctx, response) {
    const menu = readMenu(response.body);
    if (!menu) return false;
    ctx.vu.menu = menu;
  },
};

/** Reads the menu only when this virtual user has not seen it yet (it is cached client side). */
const listMenuOnce: Step = {
  name: listMenu.name,
  request: (ctx) => (ctx.vu.menu ? undefined : listMenu.request(ctx)),
  after: listMenu.after!,
};

function viewProduct(name: string): Step {
  return {
    name,
    request(ctx) {
      const menu = ctx.vu.menu;
      if (!menu) return undefined;
      const product = ctx.rng.pick(menu);
      return { route: 'GET /menu/:productId', path: `/menu/${encodeURIComponent(product.id)}`, expect: [200] };
    },
  };
}

const placeOrder: Step = {
  name: 'order placed',
  request(ctx) {
    const token = customerToken(ctx);
    if (!token || !ctx.vu.menu) return undefined;
    return {
      route: 'POST /orders',
      path: '/orders',
      token,
      body: orderBody(ctx.rng, ctx.vu.menu),
      // Deterministic per run and iteration, so a retry (or a replay of the same run id)
      // is recognised by the service as the same order.
      idempotencyKey: `${ctx.runId}-${ctx.iteration}-order`,
      // 200 is a retry answered with the order the first attempt created.
      expect: [201, 200],
      retry: true,
    };
  },
  after(ctx, response) {
    const order = readOrder(response.body);
    if (!order) return false;
    ctx.vars.orderId = order.id;
    ctx.vars.version = order.version;
  },
};

function trackOrder(name: string): Step {
  return {
    name,
    request(ctx) {
      const token = customerToken(ctx);
      return ctx.vars.orderId && token
        ? {
            route: 'GET /orders/:orderId',
            path: `/orders/${encodeURIComponent(ctx.vars.orderId)}`,
            token,
            expect: [200],
          }
        : undefined;
    },
  };
}

// ---- the journeys ----

const browseMenu: Journey = {
  name: JourneyNames.BrowseMenu,
  description: 'An anonymous visitor reads the menu and looks at two products',
  weight: 45,
  thinkTimeMs: { min: 500, max: 2_000 },
  steps: [listMenu, viewProduct('product viewed'), viewProduct('another product viewed')],
};

const firstOrder: Journey = {
  name: JourneyNames.FirstOrder,
  description: 'A new customer registers, reads the menu, places a first order and reads it back',
  weight: 15,
  thinkTimeMs: { min: 1_000, max: 3_000 },
  steps: [
    {
      name: 'customer registered',
      request: (ctx) => registration(ctx, `i${ctx.iteration}`, `${ctx.rng.pick(FIRST_NAMES)} Load`, ctx.iteration),
      after(ctx, response) {
        const customer = registeredCustomer(ctx, ctx.iteration, response);
        if (!customer) return false;
        ctx.vars.token = customer.token;
      },
    },
    listMenu,
    placeOrder,
    trackOrder('new order read back'),
  ],
};

const returningCustomer: Journey = {
  name: JourneyNames.ReturningCustomer,
  description:
    "A returning customer (the virtual user's own account) checks past orders, orders again and tracks the order",
  weight: 30,
  thinkTimeMs: { min: 1_000, max: 3_000 },
  steps: [
    {
      // Each virtual user registers its own account once, on its first returning-customer
      // iteration, and keeps the token for the rest of the run.
      name: 'account ready',
      request: (ctx) =>
        ctx.vu.customer
          ? undefined
          : registration(ctx, `vu${ctx.vu.id}`, `${ctx.rng.pick(FIRST_NAMES)} Regular`, ctx.vu.id - 1),
      after(ctx, response) {
        const customer = registeredCustomer(ctx, ctx.vu.id - 1, response);
        if (!customer) return false;
        ctx.vu.customer = customer;
      },
    },
    {
      name: 'past orders listed',
      request(ctx) {
        const token = customerToken(ctx);
        return token
          ? { route: 'GET /users/me/orders', path: '/users/me/orders?limit=5', token, expect: [200] }
          : undefined;
      },
    },
    listMenuOnce,
    placeOrder,
    trackOrder('order tracked'),
    trackOrder('order tracked again'),
  ],
};

const BARISTA_FLOW: readonly OrderStatus[] = [OrderStatuses.Preparing, OrderStatuses.Ready, OrderStatuses.PickedUp];

function advanceOrder(to: OrderStatus): Step {
  return {
    name: `order moved to ${to}`,
    request(ctx) {
      const { orderId, version } = ctx.vars;
      const token = baristaToken(ctx);
      if (!orderId || version === undefined || !token) return undefined;
      return {
        route: 'PATCH /orders/:orderId',
        path: `/orders/${encodeURIComponent(orderId)}`,
        token,
        headers: { 'if-match': `"${version}"` },
        body: { status: to },
        // 409: another barista moved it first (stale version); the contract's answer, not a failure.
        expect: [200, 409],
      };
    },
    after(ctx, response) {
      if (response.status === 409) return false;
      const order = readOrder(response.body);
      if (!order) return false;
      ctx.vars.version = order.version;
      ctx.vars.status = order.status;
    },
  };
}

const baristaQueue: Journey = {
  name: JourneyNames.BaristaQueue,
  description: 'A barista takes an order from the PLACED queue and moves it through PREPARING, READY and PICKED_UP',
  weight: 10,
  thinkTimeMs: { min: 500, max: 1_500 },
  steps: [
    {
      name: 'barista signed in',
      // Skipped when the virtual user has a token already (minted earlier, or from the pool).
      request: (ctx) =>
        baristaToken(ctx)
          ? undefined
          : {
              route: 'POST /auth/dev-token',
              path: '/auth/dev-token',
              body: { sub: `load-barista-${ctx.runId}-${ctx.vu.id}`, role: 'barista' },
              expect: [201],
            },
      after(ctx, response) {
        const parsed = parseJson(response.body);
        if (!isRecord(parsed) || typeof parsed.token !== 'string') return false;
        ctx.vu.barista = { token: parsed.token };
      },
    },
    {
      name: 'queue listed',
      request(ctx) {
        const token = baristaToken(ctx);
        return token
          ? { route: 'GET /orders', path: '/orders?status=PLACED&limit=10', token, expect: [200] }
          : undefined;
      },
      after(ctx, response) {
        const parsed = parseJson(response.body);
        if (!isRecord(parsed) || !Array.isArray(parsed.items)) return false;
        const queue = parsed.items.filter(
          (o): o is { id: string; version: number } =>
            isRecord(o) && typeof o.id === 'string' && typeof o.version === 'number',
        );
        // An empty queue is a normal answer: nothing to prepare this time.
        if (queue.length === 0) return false;
        // A random one of the oldest few, so concurrent baristas rarely collide.
        const order = ctx.rng.pick(queue.slice(0, 3));
        ctx.vars.orderId = order.id;
        ctx.vars.version = order.version;
      },
    },
    ...BARISTA_FLOW.map(advanceOrder),
  ],
};

/** The journeys, with their weights. */
export const JOURNEYS: readonly Journey[] = [browseMenu, firstOrder, returningCustomer, baristaQueue];

/** Picks the journey of an iteration from its seeded generator. */
export function pickJourney(rng: Rng, journeys: readonly Journey[] = JOURNEYS): Journey {
  if (journeys.length === 1) return journeys[0] as Journey;
  let total = 0;
  for (const journey of journeys) total += journey.weight;
  let roll = rng.next() * total;
  for (const journey of journeys) {
    roll -= journey.weight;
    if (roll < 0) return journey;
  }
  return journeys[journeys.length - 1] as Journey;
}

/** A think time in ms, scaled (the smoke profile shortens them). */
export function thinkTime(journey: Journey, rng: Rng, scale: number): number {
  const { min, max } = journey.thinkTimeMs;
  return Math.round((min + rng.next() * (max - min)) * scale);
}

/** Splits a route key into method and template. */
export function splitRoute(route: string): { method: string; template: string } {
  const space = route.indexOf(' ');
  return { method: route.slice(0, space), template: route.slice(space + 1) };
}
