/**
 * The Node engine's remote-write output without a server: its names are k6's (as a real k6
 * v1.3.0 wrote them for this script), its native histograms hold what HDR recorded, and a
 * push is a snappy-compressed protobuf a receiver can read back.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import snappy from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { createHistogram, recordMs } from '../engine/histograms.ts';
import { Recorder } from '../engine/recorder.ts';
import { bucketIndex, BUCKET_GROWTH, NativeHistogram } from './native-histogram.ts';
import { RemoteWriter } from './remote-write.ts';

interface SeriesFixture {
  data: Record<string, string>[];
}
const k6Series = (
  JSON.parse(readFileSync(new URL('./fixtures/k6-v1.3.0-rw-series.json', import.meta.url), 'utf8')) as SeriesFixture
).data;

/** One bucket as the engine reports it (two route groups, a failure, a check, a journey), fed to the writer. */
function feed(writer: RemoteWriter): void {
  // The recorder reuses its histograms once the sink returns: the writer reads them at once.
  const recorder = new Recorder(0, 1000, (r) => writer.bucket(r));
  recorder.iterationStarted(10, 'browse-menu', 1);
  recorder.response(20, 'menu-read', 'GET /menu', 200, 12);
  recorder.response(30, 'menu-read', 'GET /menu/:productId', 503, 40);
  recorder.response(35, 'order-write', 'POST /orders', 201, 80);
  recorder.check(40, 'menu listed', true);
  recorder.iterationEnded(50, 'browse-menu', 'completed');
  recorder.flush();
}

/** Receives one push; resolves with the raw (decompressed) protobuf and the headers. */
async function receiveOne(run: (url: string) => Promise<void>) {
  let body: Buffer | undefined;
  let headers: Record<string, string | string[] | undefined> = {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      body = Buffer.concat(chunks);
      headers = req.headers;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return { raw: Buffer.from(snappy.uncompress(new Uint8Array(body!))), headers };
}

describe('native histograms of schema 3', () => {
  it('put a value in the bucket (2^((i-1)/8), 2^(i/8)]', () => {
    for (const value of [0.0001, 0.012, 0.3, 1, 2.5, 60]) {
      const i = bucketIndex(value);
      expect(value).toBeGreaterThan(2 ** ((i - 1) / 8));
      expect(value).toBeLessThanOrEqual(2 ** (i / 8) * (1 + 1e-12));
    }
    expect(BUCKET_GROWTH).toBeCloseTo(1.0905, 4);
  });

  it('hold every HDR value with its count, as spans and deltas', () => {
    const hdr = createHistogram();
    for (const ms of [1, 1, 1.05, 2, 50, 50, 51, 400]) recordMs(hdr, ms);
    const native = new NativeHistogram();
    native.addHdr(hdr);
    const sample = native.sample(1);
    expect(sample.count).toBe(8);
    expect(sample.sum).toBeCloseTo(0.5561, 3);
    // Rebuild the bucket counts from spans and deltas; they sum to the count.
    const counts: number[] = [];
    let running = 0;
    for (const delta of sample.positiveDeltas) counts.push((running += delta));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(8);
    expect(sample.positiveSpans.reduce((n, s) => n + s.length, 0)).toBe(counts.length);
    expect(sample.positiveSpans[0]!.offset).toBe(bucketIndex(0.001));
  });
});

describe('RemoteWriter', () => {
  it("writes k6's metric and label names, as a real k6 wrote them for this script", async () => {
    const { raw, headers } = await receiveOne(async (url) => {
      const writer = new RemoteWriter({ url, runId: 'fixture-run', profile: 'smoke', instance: '0' });
      feed(writer);
      await writer.close();
      expect(writer.failures).toBe(0);
    });
    expect(headers['content-encoding']).toBe('snappy');
    expect(headers['content-type']).toBe('application/x-protobuf');
    expect(headers['x-prometheus-remote-write-version']).toBe('0.1.0');
    const text = raw.toString('latin1');
    const k6Names = new Set(k6Series.map((s) => s.__name__));
    const k6Labels = new Set(k6Series.flatMap((s) => Object.keys(s)));
    const written = [
      'k6_http_reqs_total',
      'k6_http_req_duration_seconds',
      'k6_checks_rate',
      'k6_coffee_journeys_total',
    ];
    for (const name of written) {
      expect(k6Names.has(name), name).toBe(true);
      expect(text).toContain(name);
    }
    for (const label of ['testid', 'route_group', 'route', 'status', 'method', 'name', 'scenario', 'profile', 'check'])
      expect(k6Labels.has(label), label).toBe(true);
    for (const value of ['fixture-run', 'menu-read', 'GET /menu/:productId', '503', 'order-write', 'menu listed'])
      expect(text).toContain(value);
  });

  it('keeps counters cumulative across buckets and pushes them again', async () => {
    const pushes: Buffer[] = [];
    await receiveOne(async (url) => {
      const writer = new RemoteWriter({ url, runId: 'r', profile: 'smoke', instance: '1' });
      feed(writer);
      feed(writer);
      await writer.close();
    }).then(({ raw }) => pushes.push(raw));
    // GET /menu answered once per bucket: after two buckets its counter sample is the double 2.
    const two = Buffer.alloc(8);
    two.writeDoubleLE(2);
    expect(pushes[0]!.includes(two)).toBe(true);
  });
});
