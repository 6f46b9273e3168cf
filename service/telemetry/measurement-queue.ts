/**
 * Measurements queued on the request path and handed to the OpenTelemetry SDK in batches.
 *
 * One `histogram.record` or `counter.add` costs the request path far more than its few
 * instructions: the SDK hashes the attributes, looks up the series and stamps the time,
 * and on a request path whose caches the AWS SDK and the HTTP server have just evicted,
 * that walk is cold every time. Queued, a measurement is three array pushes; handed over
 * in a batch, the same SDK calls run back to back with their code and data warm
 * (docs/design-decisions.md, "The measurement queue").
 *
 * Nothing is lost: the queue is handed over whenever it holds `limit` measurements, and
 * before every collection reads the SDK's storages (an export interval, a Prometheus
 * scrape, a Lambda flush, shutdown; see telemetry.ts). A measurement taken while a
 * collection is under way goes to the next one, as it would without the queue. The
 * request that fills the queue pays for the batch: a quarter of a millisecond for 256
 * histogram records with four attributes (median in a loop), once every 256 measurements.
 */
import { ROOT_CONTEXT, type Attributes, type Counter, type Histogram } from '@opentelemetry/api';

/** Where a queued measurement goes: one SDK instrument. */
type Sink = (value: number, attributes: Attributes | undefined) => void;

export class MeasurementQueue {
  readonly #limit: number;
  readonly #onError: (error: unknown) => void;
  readonly #sinks: Sink[] = [];
  readonly #values: number[] = [];
  readonly #attributes: (Attributes | undefined)[] = [];

  /**
   * @param limit measurements held before they are handed over without waiting for a collection
   * @param onError told when the SDK throws on a measurement (the others still go through)
   */
  constructor(limit: number, onError: (error: unknown) => void) {
    this.#limit = limit;
    this.#onError = onError;
  }

  /** A histogram whose `record` queues. Attribute objects must not change once recorded. */
  histogram(instrument: Histogram): Pick<Histogram, 'record'> {
    // The context argument is fixed: the SDK would otherwise ask the context manager for
    // the active context on every measurement, and no view here reads it.
    const sink: Sink = (value, attributes) => instrument.record(value, attributes, ROOT_CONTEXT);
    return { record: (value, attributes) => this.#push(sink, value, attributes) };
  }

  /** A counter whose `add` queues. Attribute objects must not change once recorded. */
  counter(instrument: Counter): Pick<Counter, 'add'> {
    const sink: Sink = (value, attributes) => instrument.add(value, attributes, ROOT_CONTEXT);
    return { add: (value, attributes) => this.#push(sink, value, attributes) };
  }

  /** Measurements waiting. */
  get size(): number {
    return this.#values.length;
  }

  /** Hands every queued measurement to its instrument, in the order they were taken. */
  drain(): void {
    const sinks = this.#sinks;
    const values = this.#values;
    const attributes = this.#attributes;
    const n = values.length;
    let failure: unknown;
    for (let i = 0; i < n; i++) {
      try {
        sinks[i]!(values[i]!, attributes[i]);
      } catch (error) {
        failure ??= error;
      }
    }
    sinks.length = 0;
    values.length = 0;
    attributes.length = 0;
    if (failure !== undefined) this.#onError(failure);
  }

  #push(sink: Sink, value: number, attributes: Attributes | undefined): void {
    this.#sinks.push(sink);
    this.#values.push(value);
    this.#attributes.push(attributes);
    if (this.#values.length >= this.#limit) this.drain();
  }
}
