/**
 * Orders: idempotent creation, reads by owner or barista, the customer's history (GSI by
 * user), the barista queue (sharded GSI by status) and status changes with optimistic
 * concurrency (`If-Match: <version>`).
 */
import { randomUUID } from 'node:crypto';
import { IDEMPOTENCY_KEY, isOrderId } from '../domain/limits.ts';
import { authorizeTransition, canRead, newOrder, orderIdFor, requestHash } from '../domain/orders.ts';
import { OrderStatuses, Roles, type Order } from '../domain/types.ts';
import { AppError, ConflictError, ErrorCodes, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { pathParam, principalOf, scopeOf, type AppContext, type RouteDeps, type Routes } from './context.ts';
import { readJson } from './body.ts';
import { replyJson } from './reply.ts';
import { ChangeStatusBody, CreateOrderBody, PageQuery, parse, QueueQuery } from './validation.ts';

function idempotencyKey(c: AppContext): string {
  const key = c.req.header('idempotency-key');
  if (key === undefined || key === '') {
    throw new ValidationError([
      { field: 'Idempotency-Key', message: 'header is required: a unique key per order, reused only to retry it' },
    ]);
  }
  if (!IDEMPOTENCY_KEY.test(key)) {
    // Node joins a repeated header with ", ", so a duplicated header lands here too.
    throw new ValidationError([
      { field: 'Idempotency-Key', message: 'must be 1 to 128 characters of A-Z a-z 0-9 _ . : - (sent once)' },
    ]);
  }
  return key;
}

function expectedVersion(c: AppContext): number {
  const header = c.req.header('if-match');
  if (header === undefined) {
    throw new AppError(428, ErrorCodes.PreconditionRequired, 'If-Match: <version> is required to change an order');
  }
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match?.[1]) throw new ValidationError([{ field: 'If-Match', message: 'must be the order version, e.g. "3"' }]);
  return Number(match[1]);
}

const withEtag = (order: Order) => ({ etag: `"${order.version}"` });

export function registerOrderRoutes(routes: Routes, deps: RouteDeps): void {
  const { storeOf, menu, telemetry, unsafe } = deps;

  async function readableOrder(c: AppContext): Promise<Order> {
    const principal = principalOf(c);
    const id = pathParam(c, 'orderId');
    // An id of another shape names no order, and must not reach DynamoDB's key limits.
    if (!isOrderId(id)) throw new NotFoundError('The order');
    const order = await storeOf(c).getOrder(id);
    // Someone else's order answers 404 like a missing one, so ids cannot be probed.
    if (!order || !canRead(principal, order)) throw new NotFoundError('The order');
    return order;
  }

  routes.post('/orders', async (c) => {
    const principal = principalOf(c);
    const key = idempotencyKey(c);
    const request = parse(CreateOrderBody, await readJson(c));
    const id = unsafe?.idempotency === false ? `o_${randomUUID()}` : orderIdFor(principal.sub, key);
    const hash = requestHash(request);
    const snapshot = await menu.get(scopeOf(c));
    let order: Order;
    try {
      order = newOrder(id, principal.sub, request, snapshot.products, deps.clock().toISOString());
    } catch (error) {
      // A retry of an order placed before the menu changed still answers that order.
      const existing = error instanceof ValidationError ? await storeOf(c).getOrder(id) : undefined;
      if (existing && existing.userId === principal.sub)
        return replyJson(c, { order: existing }, 200, withEtag(existing));
      throw error;
    }
    const result = await storeOf(c).createOrder(order, hash);
    if (result.created) {
      telemetry.metrics.orderPlaced(order.total);
      return replyJson(c, { order }, 201, { location: `/orders/${order.id}`, ...withEtag(order) });
    }
    if (result.existing.requestHash !== hash) {
      throw new ConflictError(ErrorCodes.IdempotencyKeyReused, 'This Idempotency-Key was used for a different order');
    }
    return replyJson(c, { order: result.existing.order }, 200, {
      location: `/orders/${id}`,
      ...withEtag(result.existing.order),
    });
  });

  routes.get('/orders/:orderId', async (c) => {
    const order = await readableOrder(c);
    return replyJson(c, { order }, 200, withEtag(order));
  });

  routes.get('/users/me/orders', async (c) => {
    const principal = principalOf(c);
    const { limit, cursor } = parse(PageQuery, c.req.query());
    return replyJson(c, await storeOf(c).listOrdersByUser(principal.sub, limit, cursor));
  });

  routes.get('/orders', async (c) => {
    const principal = principalOf(c);
    if (principal.role !== Roles.Barista) throw new ForbiddenError('Only a barista may list the order queue');
    const { status, limit, cursor } = parse(QueueQuery, c.req.query());
    return replyJson(c, await storeOf(c).listOrdersByStatus(status, limit, cursor));
  });

  routes.patch('/orders/:orderId', async (c) => {
    const principal = principalOf(c);
    const version = expectedVersion(c);
    const { status } = parse(ChangeStatusBody, await readJson(c));
    const order = await readableOrder(c);
    // The precondition first: a caller whose version is stale has not seen the status the
    // transition rules would judge (two baristas moving the same order: the loser gets
    // version_mismatch, not "PREPARING cannot go to PREPARING").
    if (order.version !== version) {
      throw new ConflictError(
        ErrorCodes.VersionMismatch,
        `The order is at version ${order.version}, not ${version}; read it again and retry`,
      );
    }
    authorizeTransition(principal, order, status);
    const at = deps.clock();
    const updated = await storeOf(c).changeStatus({
      orderId: order.id,
      from: order.status,
      to: status,
      expectedVersion: version,
      at: at.toISOString(),
    });
    const preparationMs =
      status === OrderStatuses.Ready ? Math.max(0, at.getTime() - Date.parse(order.createdAt)) : undefined;
    telemetry.metrics.statusChanged(status, preparationMs);
    return replyJson(c, { order: updated }, 200, withEtag(updated));
  });
}
