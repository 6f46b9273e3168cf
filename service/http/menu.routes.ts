/** The menu: public reads from the product cache, barista-only writes that invalidate it. */
import type { Hono } from 'hono';
import { Roles } from '../domain/types.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { principalOf, type AppDeps, type AppEnv } from './app.ts';
import { readJson } from './body.ts';
import { parse, PRODUCT_ID, PutProductBody } from './validation.ts';

export function registerMenuRoutes(app: Hono<AppEnv>, { store, menu, clock }: AppDeps & { clock: () => Date }): void {
  app.get('/menu', async (c) => {
    const snapshot = await menu.get();
    return c.body(snapshot.json, 200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=5' });
  });

  app.get('/menu/:productId', async (c) => {
    const product = (await menu.get()).products.get(c.req.param('productId'));
    if (!product) throw new NotFoundError('The product');
    return c.json({ product });
  });

  app.put('/menu/:productId', async (c) => {
    const principal = principalOf(c);
    if (principal.role !== Roles.Barista) throw new ForbiddenError('Only a barista may change the menu');
    const id = c.req.param('productId');
    if (!PRODUCT_ID.test(id)) throw new ValidationError([{ field: 'productId', message: 'must be 1 to 64 lowercase letters, digits or dashes' }]);
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
    await store.putProduct(product);
    menu.invalidate();
    return c.json({ product });
  });
}
