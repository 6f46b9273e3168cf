import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../http/security-headers.ts';
import { startLocalStack, type LocalStack } from '../local-stack.ts';
import { listen, type RunningServer } from './server.ts';

const expectSecured = (headers: Headers) => {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(headers.get(name), name).toBe(value);
  expect(headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
};

describe('the Node server response', () => {
  let server: RunningServer;
  beforeAll(async () => {
    // Answers that do not go through reply(): a plain Hono response, an adapter error.
    const app = new Hono();
    app.get('/plain', (c) => c.text('plain answer', 202, { 'x-extra': 'kept' }));
    app.get('/throws', () => {
      throw new Error('not through the pipeline');
    });
    app.onError((_error, c) => c.text('Internal Server Error', 500));
    server = await listen(app);
  });
  afterAll(() => server.close());

  it('adds the security headers and a request id to an answer the handler built as a Fetch response', async () => {
    const res = await fetch(`${server.url}/plain`, { headers: { 'x-request-id': 'given-7' } });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('plain answer');
    expect(res.headers.get('x-extra')).toBe('kept');
    expect(res.headers.get('x-request-id')).toBe('given-7');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it("adds them to the framework's error answers too", async () => {
    const res = await fetch(`${server.url}/throws`);
    expect(res.status).toBe(500);
    expectSecured(res.headers);
    expect(await res.text()).not.toContain('not through the pipeline');
  });
});

describe('answers written natively by the service', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack();
  });
  afterAll(() => stack.stop());

  it('answers HEAD /menu with the head of GET /menu and no body', async () => {
    const get = await fetch(`${stack.url}/menu`);
    const body = await get.text();
    const head = await fetch(`${stack.url}/menu`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(head.headers.get('content-type')).toBe('application/json');
    expectSecured(head.headers);
  });

  it('sends every header once, with a correct length, on success and on a problem', async () => {
    for (const path of ['/menu', '/orders/o_missing', '/no-such-route']) {
      const res = await fetch(`${stack.url}${path}`);
      const text = await res.text();
      expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      // fetch joins repeated headers with ", ": a header set twice would show here.
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-request-id')).not.toContain(',');
      expect(JSON.parse(text)).toBeTypeOf('object');
    }
  });
});
