/**
 * The structure rules of eslint.config.js hold: a planted import past a folder's face, an
 * import against the folders' direction and a module cycle are each an error, and the same
 * imports through the faces are not.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('the lint rules of the folders', () => {
  it("refuses an import past another folder's face", async () => {
    const found = await problems(
      'loadtests/planted.ts',
      "import { createStore } from '../service/store/store.ts';\nexport const planted = createStore;\n",
    );
    expect(found).toEqual([expect.stringMatching(/no-restricted-paths: .*through its face/)]);
  });

  it('refuses an import against the direction of the folders', async () => {
    const found = await problems(
      'dashboards/planted.ts',
      "import { runLoad } from '../loadtests/index.ts';\nexport const planted = runLoad;\n",
    );
    expect(found).toEqual([expect.stringMatching(/no-restricted-paths: .*dashboards\/ may not import loadtests\//)]);
  });

  it("lets the service's code import nothing of the toolkit", async () => {
    const found = await problems(
      'service/planted.ts',
      "import { ExitCodes } from '../cli/index.ts';\nexport const x = ExitCodes;\n",
    );
    expect(found).toEqual([expect.stringMatching(/no-restricted-paths: .*service\/ may not import cli\//)]);
  });

  it('accepts the same imports through the faces, in the direction', async () => {
    const found = await problems(
      'chaos/planted.ts',
      [
        "import { startLocalStack } from '../service/index.ts';",
        "import { SLOS } from '../service/catalog/index.ts';",
        "import { runLoad } from '../loadtests/index.ts';",
        'export const planted = [startLocalStack, SLOS, runLoad];',
        '',
      ].join('\n'),
    );
    expect(found).toEqual([]);
  });

  it('refuses a module cycle', async () => {
    // chaos/runner.ts imports chaos/report.ts; a report importing the runner back closes a cycle.
    const found = await problems(
      'chaos/report.ts',
      "import { runExperiment } from './runner.ts';\nexport const planted = runExperiment;\n",
    );
    expect(found).toContainEqual(expect.stringMatching(/import-x\/no-cycle/));
  });
});
