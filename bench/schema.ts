/** The shape of bench.json, checked by the end-to-end test and by anyone reading the file. */
import { z } from 'zod';

export const BENCH_SCHEMA_VERSION = 2;

const roundSchema = z.object({
  value: z.number(),
  stealPct: z.number().optional(),
  load1: z.number().optional(),
  repeated: z.boolean().optional(),
  sides: z.record(z.string(), z.record(z.string(), z.number())).optional(),
});

export const benchFigureSchema = z.object({
  name: z.string().min(1),
  kind: z.enum(['primary', 'info']),
  measure: z.string().min(1),
  unit: z.string().min(1),
  comparator: z.enum(['>=', '<=']),
  budget: z.number().optional(),
  margin: z.number().optional(),
  value: z.number(),
  min: z.number(),
  max: z.number(),
  verdict: z.enum(['met', 'inconclusive', 'missed', 'info']),
  rounds: z.array(roundSchema).min(1),
  stealPct: z.object({ median: z.number(), max: z.number() }).optional(),
  details: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
});

export const benchFileSchema = z.object({
  schema: z.literal(BENCH_SCHEMA_VERSION),
  at: z.string(),
  options: z.object({
    durationS: z.number(),
    rounds: z.number().int(),
    warmup: z.number().int(),
    saturationS: z.number(),
    saturationRounds: z.number().int(),
    loadShare: z.number(),
    rates: z.record(z.string(), z.number()).optional(),
    connections: z.number().int(),
    figures: z.array(z.string()),
  }),
  machine: z.object({
    node: z.string(),
    cpuModel: z.string(),
    cores: z.number().int(),
    loadAverage: z.object({ start: z.number(), end: z.number() }),
    stealPct: z.object({ median: z.number(), max: z.number() }),
  }),
  verdict: z.object({ met: z.number(), inconclusive: z.number(), missed: z.number(), info: z.number() }),
  figures: z.array(benchFigureSchema),
});

export type BenchFile = z.infer<typeof benchFileSchema>;
