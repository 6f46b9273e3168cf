/** A mistake in how a command was called (or an unreachable target): exit code 2, one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses a non-negative integer option, naming the option when it is not one. */
export function parseIntOption(name: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`${name} must be an integer between ${min} and ${max}, got "${value}"`);
    }
    return n;
  };
}
