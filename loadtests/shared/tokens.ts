/**
 * Pre-issued bearer tokens, for a target whose identities come from an external issuer
 * (the deployed stack's Cognito user pool): the service there has no dev issuer, so the
 * journeys cannot register customers that come with a token or mint barista tokens.
 *
 * The file (`coffee load --tokens FILE`, `COFFEE_TOKENS_FILE` under k6) is JSON:
 *
 *   { "customers": ["eyJ...", ...], "baristas": ["eyJ...", ...] }
 *
 * An entry may also be an object with a `token` member (`{"token": "eyJ...", "note": ...}`),
 * so a file written by another tool can carry its own bookkeeping. Pure and without I/O:
 * both engines read the file their own way and hand the text here.
 */

export interface TokenPool {
  /** Customer tokens (no barista role). */
  readonly customers: readonly string[];
  /** Tokens with the barista role (a `role` claim or the `barista` Cognito group). */
  readonly baristas: readonly string[];
}

/** A bearer token as RFC 6750 allows it (b64token), which every JWT is. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

function readList(value: unknown, field: 'customers' | 'baristas', source: string): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`${source}: "${field}" must be a non-empty array of bearer tokens`);
  }
  return value.map((entry: unknown, index) => {
    const token = typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? (entry as { token?: unknown }).token : entry;
    if (typeof token !== 'string' || !BEARER_TOKEN.test(token)) {
      throw new Error(`${source}: ${field}[${index}] is not a bearer token (a string such as "eyJhbGciOi...", or {"token": "..."})`);
    }
    return token;
  });
}

/**
 * Reads a token file's text. Both pools are required: every journey but `browse-menu` needs
 * one of them, and a run that fails half its journeys on 401 measures nothing useful.
 * Error messages name the file and the field, never a token.
 */
export function parseTokenPool(text: string, source: string): TokenPool {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${source} must be a JSON object {"customers": [...], "baristas": [...]}`);
  }
  const record = parsed as Record<string, unknown>;
  return { customers: readList(record.customers, 'customers', source), baristas: readList(record.baristas, 'baristas', source) };
}

/** The `index`-th token of a pool, wrapping around (virtual users and iterations outnumber tokens). */
export function tokenAt(pool: readonly string[], index: number): string {
  return pool[((index % pool.length) + pool.length) % pool.length] as string;
}
