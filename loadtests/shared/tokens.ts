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
  /** The earliest `exp` of the tokens (epoch seconds), when every token says when it expires. */
  readonly expiresAt?: number;
}

/**
 * A signed JWT (header.payload.signature, base64url), the only shape the service accepts.
 * A Cognito refresh token (an encrypted five-part JWE) or an opaque token fails here, not
 * as a run full of 401s.
 */
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The `exp` claim of a JWT (epoch seconds), or undefined. Pure: k6 runs this too. */
export function expiryOf(token: string): number | undefined {
  const payload = token.split('.')[1] ?? '';
  // base64url to a string of bytes; the claims needed here are ASCII.
  let bits = 0;
  let value = 0;
  let text = '';
  for (const char of payload) {
    const digit = BASE64URL.indexOf(char);
    if (digit < 0) return undefined;
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      text += String.fromCharCode((value >> bits) & 0xff);
    }
  }
  try {
    const exp = (JSON.parse(text) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

function readList(value: unknown, field: 'customers' | 'baristas', source: string): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`${source}: "${field}" must be a non-empty array of bearer tokens`);
  }
  return value.map((entry: unknown, index) => {
    const token =
      typeof entry === 'object' && entry !== null && !Array.isArray(entry)
        ? (entry as { token?: unknown }).token
        : entry;
    if (typeof token !== 'string' || !JWT.test(token)) {
      throw new Error(
        `${source}: ${field}[${index}] is not a bearer token: a signed JWT such as "eyJhbGciOi...", or {"token": "..."} (a Cognito access or ID token, not a refresh token)`,
      );
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
    // Not the parser's message: V8 quotes the text around the mistake, which is a token.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new Error(
      `${source} is not JSON${position ? ` (at character ${position})` : ''}: check the quotes and commas around the tokens`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${source} must be a JSON object {"customers": [...], "baristas": [...]}`);
  }
  const record = parsed as Record<string, unknown>;
  const customers = readList(record.customers, 'customers', source);
  const baristas = readList(record.baristas, 'baristas', source);
  let expiresAt: number | undefined;
  for (const token of [...customers, ...baristas]) {
    const exp = expiryOf(token);
    if (exp === undefined) {
      expiresAt = undefined;
      break;
    }
    expiresAt = expiresAt === undefined ? exp : Math.min(expiresAt, exp);
  }
  return { customers, baristas, ...(expiresAt !== undefined ? { expiresAt } : {}) };
}

/**
 * Why a run of `runSeconds` starting at `nowMs` would outlive the pool's tokens, or
 * undefined when it would not (or the tokens do not say when they expire).
 */
export function expiryProblem(pool: TokenPool, nowMs: number, runSeconds: number): string | undefined {
  if (pool.expiresAt === undefined) return undefined;
  const endsMs = nowMs + runSeconds * 1000;
  if (pool.expiresAt * 1000 >= endsMs) return undefined;
  const expires = new Date(pool.expiresAt * 1000).toISOString();
  return pool.expiresAt * 1000 <= nowMs
    ? `the tokens expired at ${expires}: mint new ones`
    : `the tokens expire at ${expires}, before the run ends at ${new Date(endsMs).toISOString()}: mint new ones just before the run, or shorten it with --duration`;
}

/** The `index`-th token of a pool, wrapping around (virtual users and iterations outnumber tokens). */
export function tokenAt(pool: readonly string[], index: number): string {
  return pool[((index % pool.length) + pool.length) % pool.length] as string;
}
