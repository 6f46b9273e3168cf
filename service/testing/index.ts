// The service's test harness, for tests in any folder: a client for the running service
// that checks the error contract, and the tools a test needs on PATH. It imports vitest:
// never import it from runtime code.
export { api, expectProblem, registerCustomer, placeOrder, moveOrder, getMenu } from './http-client.ts';
export type { ApiResponse, ApiRequest, ProblemBody, OrderLine } from './http-client.ts';
export { findOnPath, requireOnPath } from './executables.ts';
export type { KnownExecutable } from './executables.ts';
