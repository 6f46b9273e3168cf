import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { afterEach, describe, expect, it } from 'vitest';
import { samplerFromEnv, serverResource, spanLimitsFromEnv } from './trace-config.ts';

const VARIABLES = ['OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_NODE_RESOURCE_DETECTORS'];

/** What the Node SDK made of the same inputs: its TracerProvider's resource and sampler. */
function nodeSdk(resource: Resource): { resource: Resource; sampler: string } {
  const sdk = new NodeSDK({
    resource,
    spanProcessors: [{ onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} }],
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    contextManager: null as never,
    textMapPropagator: null,
  });
  sdk.start();
  const provider = (sdk as unknown as { _tracerProvider: { _tracerOptions: { sampler: object } } })._tracerProvider;
  const result = {
    resource: (sdk as unknown as { _resource: Resource })._resource,
    sampler: provider._tracerOptions.sampler.toString(),
  };
  void sdk.shutdown();
  return result;
}

describe('the server trace configuration, read as the Node SDK reads it', () => {
  afterEach(() => {
    for (const name of VARIABLES) delete process.env[name];
  });

  it.each([
    [{}],
    [{ OTEL_TRACES_SAMPLER: 'always_off' }],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }],
  ])('picks the sampler the Node SDK picks for %j', (env: Record<string, string>) => {
    Object.assign(process.env, env);
    expect(samplerFromEnv().toString()).toBe(nodeSdk(resourceFromAttributes({})).sampler);
  });

  it.each([[undefined], ['env,process'], ['none']])(
    'detects the resource the Node SDK detects (OTEL_NODE_RESOURCE_DETECTORS=%s)',
    async (detectors: string | undefined) => {
      if (detectors) process.env.OTEL_NODE_RESOURCE_DETECTORS = detectors;
      const own = resourceFromAttributes({ 'service.name': 'coffee-cloud', 'deployment.environment': 'test' });
      const ours = serverResource(own);
      const theirs = nodeSdk(own).resource;
      await Promise.all([ours.waitForAsyncAttributes?.(), theirs.waitForAsyncAttributes?.()]);
      expect(ours.attributes).toEqual(theirs.attributes);
      expect(Object.keys(ours.attributes).length).toBeGreaterThan(detectors === 'none' ? 1 : 4);
    },
  );

  it('reads the span limits, the span-specific variable first', () => {
    process.env.OTEL_ATTRIBUTE_COUNT_LIMIT = '10';
    process.env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT = '64';
    process.env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT = '32';
    try {
      expect(spanLimitsFromEnv()).toEqual({ attributeCountLimit: 10, attributeValueLengthLimit: 64 });
    } finally {
      delete process.env.OTEL_ATTRIBUTE_COUNT_LIMIT;
      delete process.env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT;
      delete process.env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT;
    }
  });
});
