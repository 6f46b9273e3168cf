/**
 * The little of Prometheus's HTTP API the verdict needs: instant and range queries, and the
 * server's flags (to tell a missing remote-write receiver from a run that wrote nothing).
 */

/** Prometheus cannot be asked, or cannot hold the run: the command exits 2 with this one line. */
export class PrometheusProblem extends Error {
  override readonly name = 'PrometheusProblem';
}

export interface VectorSample {
  metric: Record<string, string>;
  /** [epoch seconds, value as text] */
  value: [number, string];
}

export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

export class PrometheusClient {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  private async get<T>(
    endpoint: string,
    params: Record<string, string>,
  ): Promise<ApiAnswer<T> & { httpStatus: number }> {
    const query = new URLSearchParams(params).toString();
    let response: Response;
    try {
      response = await fetch(`${this.url}${endpoint}${query ? `?${query}` : ''}`, {
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new PrometheusProblem(
        `Prometheus at ${this.url} is unreachable (${cause?.code ?? cause?.message ?? (error as Error).message}): ` +
          'start it, or pass the URL of a running one with --prometheus',
      );
    }
    const text = await response.text();
    try {
      return { ...(JSON.parse(text) as ApiAnswer<T>), httpStatus: response.status };
    } catch {
      throw new PrometheusProblem(
        `${this.url}${endpoint} answered ${response.status} with something other than Prometheus's JSON: ` +
          'is --prometheus the URL of a Prometheus server (e.g. http://127.0.0.1:9090)?',
      );
    }
  }

  private async data<T>(endpoint: string, params: Record<string, string>): Promise<T> {
    const answer = await this.get<T>(endpoint, params);
    if (answer.status !== 'success') throw new Error(`Prometheus ${endpoint} ${params.query ?? ''}: ${answer.error}`);
    return answer.data;
  }

  async query(expr: string, timeS: number): Promise<VectorSample[]> {
    const data = await this.data<{ resultType: string; result: VectorSample[] }>('/api/v1/query', {
      query: expr,
      time: String(timeS),
    });
    return data.result;
  }

  /** A range-vector selector (`metric{...}[5m]`) at one time: the raw samples. */
  async rawSamples(expr: string, timeS: number): Promise<MatrixSeries[]> {
    const data = await this.data<{ result: MatrixSeries[] }>('/api/v1/query', { query: expr, time: String(timeS) });
    return data.result;
  }

  async queryRange(expr: string, startS: number, endS: number, stepS: number): Promise<MatrixSeries[]> {
    const data = await this.data<{ result: MatrixSeries[] }>('/api/v1/query_range', {
      query: expr,
      start: String(startS),
      end: String(endS),
      step: String(stepS),
    });
    return data.result;
  }

  /** The command-line flags, or undefined when the server does not say (Mimir, Thanos, an older build). */
  async flags(): Promise<Record<string, string> | undefined> {
    const answer = await this.get<Record<string, string>>('/api/v1/status/flags', {});
    return answer.status === 'success' && answer.httpStatus === 200 ? answer.data : undefined;
  }

  /**
   * Fails with what to do when the server cannot take the runners' data: remote-write
   * receiver off, or native histograms off (the latency histograms would be dropped).
   */
  async checkReceiver(): Promise<void> {
    const flags = await this.flags();
    if (!flags) return;
    if (flags['web.enable-remote-write-receiver'] === 'false') {
      throw new PrometheusProblem(
        `Prometheus at ${this.url} has no remote-write receiver: restart it with ` +
          '--web.enable-remote-write-receiver --enable-feature=native-histograms',
      );
    }
    const features = flags['enable-feature'];
    if (features !== undefined && !features.split(',').includes('native-histograms')) {
      throw new PrometheusProblem(
        `Prometheus at ${this.url} does not keep native histograms (the latency data): restart it with ` +
          '--enable-feature=native-histograms',
      );
    }
  }
}
