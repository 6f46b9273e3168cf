/** The menu: public reads from the product cache, barista-only writes that invalidate it. */
import { Roles } from '../domain/types.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import type { MenuSnapshot } from '../cache/menu-cache.ts';
import { pathParam, principalOf, scopeOf, type AppContext, type RouteDeps, type Routes } from './context.ts';
import { readJson } from './body.ts';
import { reply, replyJson } from './reply.ts';
import { parse, PRODUCT_ID, PutProductBody } from './validation.ts';

const MENU_HEADERS = { 'content-type': 'application/json', 'cache-control': 'public, max-age=5' };

export function registerMenuRoutes(routes: Routes, { storeOf, menu, clock }: RouteDeps): void {
  // The hot path: a fresh cache answers without a promise.
  const menuResponse = (c: AppContext, snapshot: MenuSnapshot) => reply(c, 200, snapshot.json, MENU_HEADERS);
  routes.get('/menu', (c) => {
    const fresh = menu.peek();
    return fresh ? menuResponse(c, fresh) : menu.get(scopeOf(c)).then((snapshot) => menuResponse(c, snapshot));
  });

  routes.get('/menu/:productId', async (c) => {
    const product = (await menu.get(scopeOf(c))).products.get(pathParam(c, 'productId'));
    if (!product) throw new NotFoundError('The product');
    return replyJson(c, { product });
  });

  routes.put('/menu/:productId', async (c) => {
    const principal = principalOf(c);
    if (principal.role !== Roles.Barista) throw new ForbiddenError('Only a barista may change the menu');
    const id = pathParam(c, 'productId');
    if (!PRODUCT_ID.test(id))
      throw new ValidationError([
        { field: 'productId', message: 'must be 1 to 64 lowercase letters, digits or dashes' },
      ]);
    const body = parse(PutProductBody, await readJson(c));
    const product = {
      id,
      name: body.name.trim(),
      category: body.category,
      description: body.description ?? '',
      prices: Object.fromEntries(Object.entries(body.prices).filter(([, v]) => v !== undefined)),
      available: body.available,
      updatedAt: clock().toISOString(),
    };
    await storeOf(c).putProduct(product);
    menu.invalidate();
    return replyJson(c, { product });
  });
}
