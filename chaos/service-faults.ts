/**
 * A client for the service's own fault endpoint (`/_chaos/faults`, guarded by the fault
 * token): service faults (latency, status codes, exceptions) and the event-loop block
 * (`blockMs`) are set through it, and `clear()` is the kill switch.
 */
import type { ServiceFaultRule } from './fault-catalog.ts';

export interface ServiceFaultClient {
  /** Replaces the service's fault rules. */
  set(rules: ServiceFaultRule[]): Promise<void>;
  list(): Promise<ServiceFaultRule[]>;
  /** The kill switch: `DELETE /_chaos/faults`. */
  clear(): Promise<void>;
}

export class ServiceFaultError extends Error {
  override readonly name = 'ServiceFaultError';
}

export function createServiceFaultClient({
  baseUrl,
  token,
  timeoutMs = 5_000,
}: {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
}): ServiceFaultClient {
  const endpoint = new URL('/_chaos/faults', baseUrl).toString();
  async function call(method: 'GET' | 'PUT' | 'DELETE', body?: unknown): Promise<unknown> {
    const response = await fetch(endpoint, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new ServiceFaultError(`${method} /_chaos/faults answered ${response.status}: ${text.slice(0, 200)}`);
    }
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
  return {
    async set(rules) {
      await call('PUT', { rules });
    },
    async list() {
      const out = (await call('GET')) as { rules?: ServiceFaultRule[] } | undefined;
      return out?.rules ?? [];
    },
    async clear() {
      await call('DELETE');
    },
  };
}
