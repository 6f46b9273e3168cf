// Run in a fresh `node` process: imports a Lambda bundle, handles one event, prints timings
// as JSON (wall time, and the CPU time over the same span of every thread and, on Linux, of
// the main thread). Used by the cold-start benchmark and the bundle test (plain JS: no tsx here).
import { readFileSync } from 'node:fs';

const [bundle, eventJson] = process.argv.slice(2);
/** The main thread's CPU time in ms (the scheduler's runtime in /proc), undefined off Linux. */
const mainCpuMs = () => {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
};
const main0 = mainCpuMs();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { handler } = await import(bundle);
const imported = performance.now();
const response = await handler(JSON.parse(eventJson), {
  awsRequestId: 'probe',
  functionName: 'coffee',
  getRemainingTimeInMillis: () => 30000,
});
const handled = performance.now();
const cpu = process.cpuUsage(cpu0);
const main1 = mainCpuMs();
process.stdout.write(
  `${JSON.stringify({ importMs: imported - t0, firstEventMs: handled - imported, totalMs: handled - t0, cpuMs: (cpu.user + cpu.system) / 1000, mainCpuMs: main1 === undefined ? undefined : main1 - main0, statusCode: response.statusCode, body: response.body })}\n`,
);
