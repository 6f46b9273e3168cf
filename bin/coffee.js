#!/usr/bin/env node
// The `coffee` CLI. The toolkit is written in TypeScript and run through tsx, so a clone
// needs no build step before its first command; `npm run build` only bundles the Lambda.
// `coffee serve`, the long-running process, is compiled on start instead (see compiled.js).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `coffee ... | head` closes stdout early; that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
let exitCode;
if (process.argv[2] === 'serve') {
  const { runCompiled } = await import('./compiled.js');
  exitCode = await runCompiled('cli/serve-main.ts', process.argv);
}
if (exitCode === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli/main.ts');
  exitCode = await main(process.argv);
}
process.exitCode = exitCode;
