// Entry of an engine worker thread. Worker threads do not inherit the TypeScript loader
// registered in the main thread, so register tsx here before loading the TypeScript entry.
const { register } = await import('tsx/esm/api');
register();
await import('./worker.ts');
