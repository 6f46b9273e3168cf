/**
 * The cost of Prometheus remote write to the Node engine (part of `coffee bench`): the rate
 * the engine achieves flat out with its remote-write sink on (a real Prometheus receiving,
 * pushes every second) against off, same target, same connections; budget >= 0.95.
 *
 * Set up as the load engine's figure (load-engine.ts): target.ts's raw GET /menu server in a
 * child process, a one-request journey, an arrival rate far above what the engine reaches so
 * a free virtual user always has an arrival waiting. Rounds interleave (off, on, then on, off)
 * and each round's ratio counts. The sink works per time bucket and per series, never per
 * request, so the figure shows whether pushing and encoding steal the engine's event loop.
 */
import { RemoteWriter, runLoad, startPrometheus, type Journey } from '../loadtests/index.ts';
import type { BenchContext } from './context.ts';
import type { FigureInput } from './figure.ts';
import { startRawTarget } from './start-targets.ts';

const menuOnly: Journey = {
  name: 'bench-menu',
  description: 'one GET /menu',
  weight: 1,
  thinkTimeMs: { min: 0, max: 0 },
  steps: [{ name: 'menu read', request: () => ({ route: 'GET /menu', path: '/menu', expect: [200] }) }],
};

/** A rate no engine reaches here: surplus arrivals are dropped, as k6 drops them. */
const FLAT_OUT_RATE = 60_000;

/** The figure module: achieved rate, remote write on / off, per interleaved round. */
export async function remoteWriteFigure(ctx: BenchContext): Promise<FigureInput> {
  const { connections, log } = ctx.options;
  const durationS = Math.max(3, ctx.options.durationS);
  const [target, prometheus] = await Promise.all([startRawTarget('raw-menu'), startPrometheus()]);
  let pushFailures = 0;
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
    const side = async (on: boolean, round: number) => {
      if (!on) return run(`bench-rw-off-${round}`);
      const writer = new RemoteWriter({
        url: `${prometheus.url}/api/v1/write`,
        runId: `bench-rw-on-${round}`,
        profile: 'smoke',
        instance: '0',
        flushMs: 1000,
      });
      const rate = await run(`bench-rw-on-${round}`, writer);
      pushFailures += writer.failures;
      return rate;
    };
    const rounds = await ctx.rounds('remote write', async (index, reversed) => {
      const rps: Record<string, number> = {};
      for (const on of reversed ? [true, false] : [false, true]) rps[on ? 'on' : 'off'] = await side(on, index);
      return rps;
    });
    log(
      `  remote write: ${rounds.map((r) => `${r.result.on!.toFixed(0)}/${r.result.off!.toFixed(0)}`).join(', ')} req/s on/off`,
    );
    return {
      name: 'Load engine (autocannon engine) achieved rate with Prometheus remote write on vs off',
      kind: 'primary',
      measure: 'achieved request rate flat out, on / off per round',
      unit: 'ratio',
      comparator: '>=',
      budget: 0.95,
      rounds: rounds.map((r) => ({
        value: r.result.on! / r.result.off!,
        stealPct: r.stealPct,
        load1: r.load1,
        repeated: r.repeated,
        sides: { on: { rps: r.result.on! }, off: { rps: r.result.off! } },
      })),
      details: { connections, durationS, pushFailures, receiver: 'Prometheus (native histograms), push every 1 s' },
    };
  } finally {
    await Promise.all([target.stop(), prometheus.stop()]);
  }
}
