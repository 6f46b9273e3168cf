/** What `coffee chaos list` prints: the experiments, then the fault catalog. */
import { FAULT_CATALOG } from './fault-catalog.ts';
import { EXPERIMENTS } from './experiments/index.ts';
import { resolveSchedule } from './schedule.ts';

export function listJson() {
  return {
    experiments: EXPERIMENTS.map((e) => ({
      name: e.name,
      title: e.title,
      target: e.target,
      loadMs: e.load.durationMs,
      description: e.description,
      hypothesis: e.hypothesis,
    })),
    faults: FAULT_CATALOG,
  };
}

export function listText(): string {
  const lines: string[] = ['Experiments (coffee chaos run <name>):', ''];
  const width = Math.max(...EXPERIMENTS.map((e) => e.name.length));
  for (const e of EXPERIMENTS) {
    const windows = resolveSchedule(e.schedule, { seed: 1 });
    const faultS = Math.round(windows.reduce((s, w) => s + w.durationMs, 0) / 100) / 10;
    lines.push(
      `  ${e.name.padEnd(width)}  ${e.title} (${e.target}; load ${e.load.durationMs / 1000} s, faults ${faultS} s${e.schedule.kind === 'random' ? ', seeded random schedule' : ''})`,
    );
    lines.push(`  ${' '.repeat(width)}  ${e.description}`);
  }
  lines.push('', 'Fault catalog:', '');
  const idWidth = Math.max(...FAULT_CATALOG.map((f) => f.id.length));
  for (const f of FAULT_CATALOG) {
    lines.push(`  ${f.id.padEnd(idWidth)}  ${f.description}`);
    lines.push(`  ${' '.repeat(idWidth)}  expected: ${f.expected}`);
  }
  return `${lines.join('\n')}\n`;
}
