// The service's runtime face, for the toolkit's other folders: how to run the service
// (as a server, a local stack or a Lambda bundle). Its signals, SLOs and types are in the
// pure face, `service/catalog/index.ts`.
export { serve } from './server/serve.ts';
export type { ServeOptions } from './server/serve.ts';
export { startLocalStack, startEmbeddedDynamo } from './local-stack.ts';
export type { LocalStack, LocalStackOptions } from './local-stack.ts';
export { buildLambdaBundle } from './lambda/build.ts';
export type { LambdaBundle } from './lambda/build.ts';
