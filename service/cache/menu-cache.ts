/**
 * The in-process product cache. The whole menu is one DynamoDB Query, so it is cached as a
 * whole: the products by id, and `GET /menu`'s JSON already serialised. A hit does no
 * DynamoDB call; concurrent misses share one load; a write through this service
 * invalidates it at once (other instances see the change within the TTL).
 */
import type { CallScope } from '../call-scope.ts';
import type { Product } from '../domain/types.ts';

export interface MenuSnapshot {
  products: ReadonlyMap<string, Product>;
  /** `{"items":[...]}`, the body of GET /menu. */
  json: string;
}

export interface MenuCache {
  /** The snapshot; on a miss loads it, as `scope`'s request when given (its span is the load's parent). */
  get(scope?: CallScope): Promise<MenuSnapshot>;
  /** The snapshot when it is fresh (a hit, counted), else undefined: no promise on the hot path. */
  peek(): MenuSnapshot | undefined;
  invalidate(): void;
}

export interface MenuCacheOptions {
  /** Reads the menu, for `scope`'s request when there is one (every page a child span). */
  load: (scope?: CallScope) => Promise<Product[]>;
  ttlMs?: number;
  now?: () => number;
  onHit?: () => void;
  onMiss?: () => void;
}

export function createMenuCache({ load, ttlMs = 30_000, now = Date.now, onHit, onMiss }: MenuCacheOptions): MenuCache {
  let entry: { snapshot: MenuSnapshot; expires: number } | undefined;
  let pending: Promise<MenuSnapshot> | undefined;
  // Bumped by invalidate(), so a load that started before a write cannot store stale data.
  let generation = 0;

  async function refresh(scope: CallScope | undefined): Promise<MenuSnapshot> {
    const started = generation;
    const products = (await load(scope)).sort(
      (a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name),
    );
    const snapshot: MenuSnapshot = {
      products: new Map(products.map((p) => [p.id, p])),
      json: JSON.stringify({ items: products }),
    };
    if (started === generation) entry = { snapshot, expires: now() + ttlMs };
    return snapshot;
  }

  function peek(): MenuSnapshot | undefined {
    if (!entry || entry.expires <= now()) return undefined;
    onHit?.();
    return entry.snapshot;
  }

  return {
    peek,
    get(scope) {
      const fresh = peek();
      if (fresh) return Promise.resolve(fresh);
      onMiss?.();
      pending ??= refresh(scope).finally(() => {
        pending = undefined;
      });
      return pending;
    },
    invalidate() {
      generation++;
      entry = undefined;
    },
  };
}
