/**
 * The paths at which two JSON values differ (`widgets[3].properties.metrics[0][4]`), for
 * diff output a person can act on. Key order does not matter; array order does.
 */
export function jsonDifferences(deployed: unknown, wanted: unknown, path = '', out: string[] = []): string[] {
  if (Object.is(deployed, wanted)) return out;
  if (Array.isArray(deployed) && Array.isArray(wanted)) {
    const length = Math.max(deployed.length, wanted.length);
    for (let i = 0; i < length; i++) jsonDifferences(deployed[i], wanted[i], `${path}[${i}]`, out);
    return out;
  }
  if (isObject(deployed) && isObject(wanted)) {
    for (const key of [...new Set([...Object.keys(deployed), ...Object.keys(wanted)])].sort()) {
      jsonDifferences(deployed[key], wanted[key], path ? `${path}.${key}` : key, out);
    }
    return out;
  }
  out.push(path || '(root)');
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
