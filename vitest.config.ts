import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'out/**', 'dist/**', 'cdk.out/**'],
    // Tests start real servers, embedded DynamoDB and child processes: give them room,
    // but keep two workers so the suite fits a 2-core CI machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // A worker runs many files without loading the modules again for each: importing the
    // AWS SDK, CDK and OpenTelemetry once per file cost more than 100 s of CPU. What a file
    // leaves in the process's global state is put back by the setup file.
    isolate: false,
    setupFiles: ['./vitest.setup.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
