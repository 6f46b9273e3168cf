#!/usr/bin/env node
// The `coffee` CLI. The toolkit is written in TypeScript and run through tsx, so a clone
// needs no build step before its first command; `npm run build` only bundles the Lambda.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `coffee ... | head` closes stdout early; that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
