/** The files a run writes into its output directory (both engines). */
export const resultFileName = 'result.json';
export const junitFileName = 'junit.xml';
