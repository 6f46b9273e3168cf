// Types of compiled.js (plain JavaScript: it runs before any TypeScript loader).
export function removeStale(dir: string, now?: number): Promise<void>;
export function runCompiled(entry: string, argv: readonly string[]): Promise<number | undefined>;
export function pruneBuilds(dir: string, current: string, now?: number): Promise<void>;
