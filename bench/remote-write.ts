/**
 * The cost of Prometheus remote write to the Node engine (part of `coffee bench`): the rate
 * the engine achieves flat out with its remote-write sink on (a real Prometheus receiving,
 * pushes every second) against off, same target, same connections; budget >= 0.95.
 *
 * Set up as the load engine's figure (load-engine.ts): target.ts's raw GET /menu server in a
 * child process, a one-request journey, an arrival rate far above what the engine reaches so
 * a free virtual user always has an arrival waiting. Rounds interleave (off, on, off, on) and
 * the best of each side counts. The sink works per time bucket and per series, never per
 * request, so the figure shows whether pushing and encoding steal the engine's event loop.
 */
import { RemoteWriter, runLoad, startPrometheus, type Journey } from '../loadtests/index.ts';
import { ratioFigure, type BenchFigure } from './figure.ts';
import { startRawTarget } from './start-targets.ts';

export interface RemoteWriteBenchOptions {
  connections?: number;
  durationS?: number;
  rounds?: number;
  log?: (line: string) => void;
}

const menuOnly: Journey = {
  name: 'bench-menu',
  description: 'one GET /menu',
  weight: 1,
  thinkTimeMs: { min: 0, max: 0 },
  steps: [{ name: 'menu read', request: () => ({ route: 'GET /menu', path: '/menu', expect: [200] }) }],
};

/** A rate no engine reaches here: surplus arrivals are dropped, as k6 drops them. */
const FLAT_OUT_RATE = 60_000;

export async function benchRemoteWrite(options: RemoteWriteBenchOptions = {}): Promise<BenchFigure[]> {
  const { connections = 32, durationS = 4, rounds = 2, log = () => {} } = options;
  const [target, prometheus] = await Promise.all([startRawTarget('raw-menu'), startPrometheus()]);
  try {
    const run = async (runId: string, writer?: RemoteWriter) => {
      writer?.start();
      try {
        const result = await runLoad({
          target: target.url,
          profile: 'smoke',
          durationS,
          rate: FLAT_OUT_RATE,
          journeys: [menuOnly],
          connections,
          maxVUs: connections * 4,
          runId,
          ...(writer ? { bucketSink: (report) => writer.bucket(report) } : {}),
        });
        return result.totals.requests / (result.durationMs / 1000);
      } finally {
        await writer?.close();
      }
    };
    await run('bench-rw-warmup');
    const off: number[] = [];
    const on: number[] = [];
    let pushFailures = 0;
    for (let round = 0; round < rounds; round++) {
      off.push(await run(`bench-rw-off-${round}`));
      const writer = new RemoteWriter({
        url: `${prometheus.url}/api/v1/write`,
        runId: `bench-rw-on-${round}`,
        profile: 'smoke',
        instance: '0',
        flushMs: 1000,
      });
      on.push(await run(`bench-rw-on-${round}`, writer));
      pushFailures += writer.failures;
      log(
        `remote write bench round ${round + 1}: off ${off.at(-1)!.toFixed(0)} req/s, on ${on.at(-1)!.toFixed(0)} req/s`,
      );
    }
    return [
      ratioFigure(
        'Load engine (autocannon engine) achieved rate with Prometheus remote write on vs off',
        { remoteWriteOnRps: Math.max(...on), remoteWriteOffRps: Math.max(...off) },
        ['remoteWriteOnRps', 'remoteWriteOffRps'],
        0.95,
        { connections, durationS, rounds, pushFailures, receiver: 'Prometheus (native histograms), push every 1 s' },
      ),
    ];
  } finally {
    await Promise.all([target.stop(), prometheus.stop()]);
  }
}
