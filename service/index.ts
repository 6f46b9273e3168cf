// The service's runtime face, for the folders that start, measure or bundle it. Signal
// definitions, SLOs and domain types are its other face, `./catalog/index.ts`.

// The service as a server (`coffee serve`), as a child process, and in this process (the local stack).
export { serve } from './server/serve.ts';
export type { ServeOptions } from './server/serve.ts';
export { startServiceProcess } from './server/child-process.ts';
export type { ServiceProcess, ServiceProcessOptions, ExitInfo } from './server/child-process.ts';
export { startLocalStack, startEmbeddedDynamo } from './local-stack.ts';
export type { LocalStack, LocalStackOptions } from './local-stack.ts';
export type { EmbeddedDynamo } from './store/embedded.ts';
export { tuneHeapForService } from './server/heap.ts';
export { SECURITY_HEADER_ENTRIES } from './http/security-headers.ts';
export { BatchedIdGenerator } from './telemetry/batched-ids.ts';
export type { BatchedIdOptions } from './telemetry/batched-ids.ts';
export { LeanTracerProvider } from './telemetry/lean-tracer.ts';
export type { LeanSink } from './telemetry/lean-tracer.ts';
export { SpanHandOff } from './telemetry/span-handoff.ts';

// The store without the app around it, and the order it writes.
export { createDynamoClient } from './store/dynamo-client.ts';
export { ensureTable } from './store/create-table.ts';
export { createStore } from './store/store.ts';
export type { Store } from './store/store.ts';
export { newOrder } from './domain/orders.ts';
export type { OrderRequest } from './domain/orders.ts';
export { seedProducts } from './domain/menu-seed.ts';

// The Lambda bundle, an API Gateway event, and the environment it runs in on this machine.
export { buildLambdaBundle } from './lambda/build.ts';
export type { LambdaBundle } from './lambda/build.ts';
export { createHandler } from './lambda/handler.ts';
export { httpApiEvent } from './lambda/events.ts';
export { localLambdaEnv } from './testing/lambda-env.ts';
