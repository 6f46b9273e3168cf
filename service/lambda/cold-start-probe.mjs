// Run in a fresh `node` process: imports a Lambda bundle, handles one event, prints timings
// as JSON (wall time, and the CPU time of every thread of the process over the same span).
// Used by the cold-start benchmark and the bundle test (plain JS: no tsx here).
const [bundle, eventJson] = process.argv.slice(2);
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
process.stdout.write(
  `${JSON.stringify({ importMs: imported - t0, firstEventMs: handled - imported, totalMs: handled - t0, cpuMs: (cpu.user + cpu.system) / 1000, statusCode: response.statusCode, body: response.body })}\n`,
);
