// The lint rules that make the code's structure real (README.md, "Map of the code"):
// - each top-level folder is reached from outside only through its face (`index.ts`; the
//   service also through its pure face `service/catalog/index.ts` and its test harness
//   `service/testing/index.ts`),
// - folders import each other in one direction only (LAYERS below), so folders form no cycle,
// - modules form no import cycle, and lines stay within the formatter's width.
// Formatting itself is Prettier's (`.prettierrc.json`); this file checks structure.
import stylistic from '@stylistic/eslint-plugin';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** What each folder's code may import from other folders (their faces only). */
const LAYERS = {
  service: [],
  cli: ['service'],
  dashboards: ['service', 'cli'],
  alarms: ['service', 'cli', 'dashboards'],
  loadtests: ['service', 'cli', 'dashboards', 'alarms'],
  chaos: ['service', 'cli', 'dashboards', 'alarms', 'loadtests'],
  infra: ['service', 'cli', 'dashboards', 'alarms', 'chaos'],
  bench: ['service', 'cli', 'dashboards', 'alarms', 'loadtests'],
};
const FOLDERS = Object.keys(LAYERS);
const FACES = { service: ['./index.ts', './catalog/index.ts', './testing/index.ts'] };
const facesOf = (folder) => FACES[folder] ?? ['./index.ts'];

/** `import-x/no-restricted-paths` zones for code in `folder`; `may` lists the folders it may reach. */
function zones(folder, may, extraFaces = []) {
  return FOLDERS.filter((other) => other !== folder).map((other) =>
    may.includes(other)
      ? {
          target: `./${folder}`,
          from: `./${other}`,
          except: [...facesOf(other), ...extraFaces],
          message: `import ${other}/ through its face (${facesOf(other).join(' or ')}), not its internals`,
        }
      : {
          target: `./${folder}`,
          from: `./${other}`,
          message: `${folder}/ may not import ${other}/ (allowed: ${may.join(', ') || 'nothing outside itself'}; see eslint.config.js)`,
        },
  );
}

const boundaries = (files, zoneList) => ({
  files,
  rules: { 'import-x/no-restricted-paths': ['error', { zones: zoneList }] },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'cdk.out/**', 'coverage/**'] },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    plugins: { 'import-x': importX, '@stylistic': stylistic },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      'import-x/extensions': ['.ts', '.mjs', '.js'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@stylistic/max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
  ...FOLDERS.map((folder) => boundaries([`${folder}/**`], zones(folder, LAYERS[folder]))),
  // The `coffee` program is the composition root: it also reaches each folder's commands (`cli.ts`).
  boundaries(['cli/main.ts'], zones('cli', FOLDERS, ['./cli.ts'])),
  // A test is a leaf nothing imports: it may use any folder's face, in any direction, and run
  // the `coffee` program itself.
  ...FOLDERS.map((folder) => boundaries([`${folder}/**/*.test.ts`], zones(folder, FOLDERS, ['./main.ts']))),
);
