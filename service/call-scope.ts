/**
 * The request a piece of work is done for, passed explicitly. `run(fn)` runs `fn`
 * synchronously as that request: the DynamoDB calls `fn` starts become child spans of the
 * request's span, and log lines written inside carry its ids.
 *
 * Explicit, not an AsyncLocalStorage: in Node 20 an AsyncLocalStorage in use runs promise
 * hooks for every promise of the thread, and one DynamoDB call through the AWS SDK makes
 * hundreds (docs/design-decisions.md). A call started after an `await` is outside `run`;
 * hand the scope to what starts it (route handlers get the store as `storeOf(c)`, the menu
 * as `menu.get(scope)`).
 */
export interface CallScope {
  run<T>(fn: () => T): T;
}

/** Work done for no request (start-up, seeding). */
export const NO_SCOPE: CallScope = { run: (fn) => fn() };
