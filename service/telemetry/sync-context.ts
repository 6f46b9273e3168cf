/**
 * The OpenTelemetry context manager the server registers: a synchronous stack, no
 * AsyncLocalStorage. The Node SDK's default, AsyncLocalStorageContextManager, would be
 * entered by the batch span processor on its first export and from then on run Node 20's
 * promise hooks on every promise of the thread (see call-scope.ts for what that costs).
 * The service passes its request context explicitly and gives every span its parent, so
 * nothing needs `context.active()` across an `await`; inside `with` it is what you expect.
 */
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

export class SynchronousContextManager implements ContextManager {
  #active: Context = ROOT_CONTEXT;

  active(): Context {
    return this.#active;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const outer = this.#active;
    this.#active = context;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#active = outer;
    }
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return ((...args: unknown[]) => this.with(context, fn, undefined, ...args)) as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#active = ROOT_CONTEXT;
    return this;
  }
}
