/**
 * A constant-rate HTTP client (an open model): request k is sent at k / rate seconds from
 * the start whether or not earlier answers came back, over a pool of keep-alive sockets.
 * Below the target's saturation both sides of a comparison then serve the same requests at
 * the same pace, so their CPU per request compares like for like. (autocannon's own rate
 * limit sends each second's quota in a burst at the second's start.)
 */
import { Agent, request as httpRequest } from 'node:http';

export interface OpenRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface OpenLoadOptions {
  url: string;
  rate: number;
  durationS: number;
  connections: number;
  /** The k-th request (k = 0, 1, ...). */
  request: (k: number) => OpenRequest;
}

export interface OpenLoadResult {
  sent: number;
  ok: number;
  errors: number;
  /** Completed requests per second over the run. */
  achievedRps: number;
  /** Requests still waiting for a free socket when their successor was due: a sign of saturation. */
  queuedPeak: number;
}

const TICK_MS = 2;
const DRAIN_TIMEOUT_MS = 10_000;

export async function openLoad(options: OpenLoadOptions): Promise<OpenLoadResult> {
  const { url, rate, durationS, connections, request } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round(rate * durationS);
  let sent = 0;
  let done = 0;
  let ok = 0;
  let errors = 0;
  let queuedPeak = 0;
  const start = performance.now();
  let resolve: () => void = () => {};
  const drained = new Promise<void>((r) => (resolve = r));
  const settle = (success: boolean) => {
    done++;
    if (success) ok++;
    else errors++;
    if (done === total) resolve();
  };
  const fire = (k: number) => {
    const { method, path, headers = {}, body } = request(k);
    const req = httpRequest(`${url}${path}`, { method, headers, agent }, (res) => {
      res.resume();
      res.once('end', () => settle(res.statusCode !== undefined && res.statusCode < 400));
      res.once('error', () => settle(false));
    });
    req.once('error', () => settle(false));
    req.end(body);
  };
  const tick = () => {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (sent < due) fire(sent++);
    queuedPeak = Math.max(queuedPeak, sent - done);
    if (sent < total) setTimeout(tick, TICK_MS);
  };
  if (total === 0) resolve();
  else tick();
  const timeout = setTimeout(resolve, durationS * 1000 + DRAIN_TIMEOUT_MS);
  await drained;
  clearTimeout(timeout);
  agent.destroy();
  const seconds = (performance.now() - start) / 1000;
  return { sent, ok, errors: errors + (total - done), achievedRps: done / seconds, queuedPeak };
}
