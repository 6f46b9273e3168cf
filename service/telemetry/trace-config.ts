/**
 * What the server's trace pipeline reads from the standard variables, read as the Node
 * SDK (`@opentelemetry/sdk-node` 0.223) reads them, so that replacing its TracerProvider
 * changes no configuration: the sampler (OTEL_TRACES_SAMPLER / _ARG), the span limits
 * (OTEL_SPAN_*_LIMIT, OTEL_ATTRIBUTE_*_LIMIT), the batch (OTEL_BSP_*), the protocol
 * (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL) and the resource
 * detectors (OTEL_NODE_RESOURCE_DETECTORS).
 */
import { diag } from '@opentelemetry/api';
import { getNumberFromEnv, getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core';
import {
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  serviceInstanceIdDetector,
  type Resource,
  type ResourceDetector,
} from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { OtlpProtocols, type OtlpProtocol, type SpanHandOffOptions, type SpanLimits } from './span-handoff.ts';

/** The sampler OTEL_TRACES_SAMPLER names; unset or unknown: parent-based always-on, the SDK's default. */
export function samplerFromEnv(): Sampler {
  const name = getStringFromEnv('OTEL_TRACES_SAMPLER');
  switch (name) {
    case undefined:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratioFromEnv());
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratioFromEnv()) });
    default:
      diag.error(`unknown OTEL_TRACES_SAMPLER value "${name}", using default`);
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function ratioFromEnv(): number {
  const ratio = getNumberFromEnv('OTEL_TRACES_SAMPLER_ARG');
  if (ratio == null || ratio < 0 || ratio > 1) {
    diag.error(`OTEL_TRACES_SAMPLER_ARG=${ratio} is blank or outside [0..1], defaulting to 1.`);
    return 1;
  }
  return ratio;
}

export function spanLimitsFromEnv(): SpanLimits {
  return defined({
    attributeCountLimit:
      getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? getNumberFromEnv('OTEL_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit:
      getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ??
      getNumberFromEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
    eventCountLimit: getNumberFromEnv('OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: getNumberFromEnv('OTEL_SPAN_LINK_COUNT_LIMIT'),
    attributePerEventCountLimit: getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'),
    attributePerLinkCountLimit: getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'),
  });
}

/** The batch's sizes and delays, and the protocol; the limits ride along to the export thread. */
export function handOffOptionsFromEnv(): SpanHandOffOptions {
  return {
    ...defined({
      maxExportBatchSize: getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
      maxQueueSize: getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE'),
      scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY'),
      exportTimeoutMillis: getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT'),
    }),
    protocol: protocolFromEnv(),
    spanLimits: spanLimitsFromEnv(),
  };
}

/** http/protobuf unless http/json is asked for; grpc is not offered by the export thread. */
export function protocolFromEnv(): OtlpProtocol {
  const raw = getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? getStringFromEnv('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (raw === OtlpProtocols.Json) return OtlpProtocols.Json;
  if (raw !== undefined && raw !== OtlpProtocols.Protobuf)
    diag.warn(`Unsupported OTLP traces protocol "${raw}" on the server: using ${OtlpProtocols.Protobuf}.`);
  return OtlpProtocols.Protobuf;
}

const DETECTORS: Record<string, ResourceDetector> = {
  host: hostDetector,
  os: osDetector,
  serviceinstance: serviceInstanceIdDetector,
  process: processDetector,
  env: envDetector,
};

/**
 * The resource the Node SDK gave its TracerProvider: the service's own, merged with what
 * the detectors find (env, process, host unless OTEL_NODE_RESOURCE_DETECTORS says which).
 */
export function serverResource(resource: Resource): Resource {
  return resource.merge(detectResources({ detectors: detectorsFromEnv() }));
}

function detectorsFromEnv(): ResourceDetector[] {
  const names = getStringListFromEnv('OTEL_NODE_RESOURCE_DETECTORS');
  if (!getStringFromEnv('OTEL_NODE_RESOURCE_DETECTORS') || !names) return [envDetector, processDetector, hostDetector];
  if (names.includes('all')) return Object.values(DETECTORS);
  if (names.includes('none')) return [];
  return names.flatMap((name) => {
    const detector = DETECTORS[name];
    if (!detector) diag.warn(`Invalid resource detector "${name}" in OTEL_NODE_RESOURCE_DETECTORS`);
    return detector ?? [];
  });
}

function defined<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as never;
}
