/** The files a run writes into its output directory (both engines). */
export const resultFileName = 'result.json';
export const junitFileName = 'junit.xml';
/** Where the toolkit has a service it runs write its EMF and its log lines (load runs, experiments, the demo). */
export const serviceEmfFileName = 'service-metrics.emf.jsonl';
export const serviceLogFileName = 'service.log';
