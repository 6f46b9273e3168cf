/**
 * Helpers for the service's tests: talk to a running service over real HTTP and check
 * the error contract (RFC 9457 problem+json with a stable `code`). Test-only: nothing in
 * the service imports this folder.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { expect } from 'vitest';
import type { Order, OrderStatus, Product, User } from '../domain/types.ts';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else undefined. */
  body: T;
  text: string;
}

export interface ApiRequest {
  token?: string;
  /** Serialised as JSON with `content-type: application/json` (unless `headers` say otherwise). */
  json?: unknown;
  /** Sent as is. */
  body?: string;
  headers?: Record<string, string>;
}

/** One request with fetch; the body is read and parsed when it is JSON. */
export async function api<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  req: ApiRequest = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (req.token !== undefined) headers.authorization = `Bearer ${req.token}`;
  let body: string | undefined = req.body;
  if (req.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(req.json);
  }
  Object.assign(headers, req.headers);
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const parsed = /json/.test(type) && text !== '' ? (JSON.parse(text) as T) : (undefined as T);
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A problem body as the contract defines it. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  errors?: { field: string; message: string }[];
}

/**
 * Asserts an RFC 9457 answer: the status, content-type problem+json, and a body whose
 * `status` repeats the HTTP status and whose `code` is the expected one (or any non-empty
 * code when none is given).
 */
export function expectProblem(
  res: { status: number; headers: Headers | IncomingHttpHeaders; text: string },
  status: number,
  code?: string,
): ProblemBody {
  const type = res.headers instanceof Headers ? res.headers.get('content-type') : res.headers['content-type'];
  expect({ status: res.status, type, text: res.text.slice(0, 300) }).toMatchObject({
    status,
    type: expect.stringMatching(/^application\/problem\+json/),
  });
  const problem = JSON.parse(res.text) as ProblemBody;
  expect(problem.status).toBe(status);
  expect(typeof problem.type).toBe('string');
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  if (code === undefined) expect(problem.code).toMatch(/^[a-z_]+$/);
  else expect(problem.code).toBe(code);
  return problem;
}

/** Registers a new customer with a unique e-mail address; answers the profile and its token. */
export async function registerCustomer(
  baseUrl: string,
  name = 'Test Customer',
): Promise<{ user: User; token: string }> {
  const res = await api<{ user: User; token: string }>(baseUrl, 'POST', '/users', {
    json: { email: `c-${randomUUID()}@example.com`, name },
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

export interface OrderLine {
  productId: string;
  quantity: number;
  size?: string;
}

/** Places an order and expects 201. */
export async function placeOrder(
  baseUrl: string,
  token: string,
  items: OrderLine[],
  key: string = randomUUID(),
  note?: string,
): Promise<Order> {
  const res = await api<{ order: Order }>(baseUrl, 'POST', '/orders', {
    token,
    json: note === undefined ? { items } : { items, note },
    headers: { 'idempotency-key': key },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.order;
}

/** Moves an order to `status` with the version it is at; expects 200. */
export async function moveOrder(baseUrl: string, token: string, order: Order, status: OrderStatus): Promise<Order> {
  const res = await api<{ order: Order }>(baseUrl, 'PATCH', `/orders/${order.id}`, {
    token,
    json: { status },
    headers: { 'if-match': String(order.version) },
  });
  expect(res.status, res.text).toBe(200);
  return res.body.order;
}

export async function getMenu(baseUrl: string): Promise<Product[]> {
  const res = await api<{ items: Product[] }>(baseUrl, 'GET', '/menu');
  expect(res.status).toBe(200);
  return res.body.items;
}

/**
 * Checks that an order read from the store is whole: every field present, every item
 * priced from `menu` (name and unit price of its size), and the total the sum of the lines.
 */
export function expectCompleteOrder(order: Order, menu: ReadonlyMap<string, Product>): void {
  expect(order.id).toMatch(/^o_/);
  expect(typeof order.userId).toBe('string');
  expect(order.currency).toBe('EUR');
  expect(Number.isInteger(order.version) && order.version >= 1).toBe(true);
  expect(['PLACED', 'PREPARING', 'READY', 'PICKED_UP', 'CANCELLED']).toContain(order.status);
  expect(Number.isNaN(Date.parse(order.createdAt))).toBe(false);
  expect(Number.isNaN(Date.parse(order.updatedAt))).toBe(false);
  expect(order.items.length).toBeGreaterThan(0);
  let sum = 0;
  for (const item of order.items) {
    const product = menu.get(item.productId);
    expect(product, `product ${item.productId}`).toBeDefined();
    expect(item.name).toBe(product!.name);
    expect(item.unitPrice).toBe(product!.prices[item.size]);
    expect(Number.isInteger(item.quantity) && item.quantity >= 1).toBe(true);
    sum += item.unitPrice * item.quantity;
  }
  expect(order.total).toBe(sum);
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * A request through `node:http`, which fetch cannot send: repeated header lines (each
 * `[name, value]` pair is one line, so a name given twice is sent twice), no
 * content-type at all, or arbitrary bytes.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: [string, string][],
  body?: string | Buffer,
): Promise<RawResponse> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const grouped = new Map<string, string[]>();
    for (const [name, value] of headers)
      grouped.set(name.toLowerCase(), [...(grouped.get(name.toLowerCase()) ?? []), value]);
    for (const [name, values] of grouped) req.setHeader(name, values.length === 1 ? values[0]! : values);
    if (body !== undefined && !grouped.has('content-length') && !grouped.has('transfer-encoding'))
      req.setHeader('content-length', Buffer.byteLength(body));
    req.end(body);
  });
}
