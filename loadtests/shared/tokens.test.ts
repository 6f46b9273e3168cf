import { describe, expect, it } from 'vitest';
import { expiryOf, expiryProblem, parseTokenPool, tokenAt } from './tokens.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjMSJ9.c2lnbmF0dXJl';

describe('token pools', () => {
  it('reads strings and {token} objects for both pools', () => {
    const pool = parseTokenPool(
      JSON.stringify({ customers: [JWT, { token: `${JWT}a`, email: 'x@example.com' }], baristas: [`${JWT}b`] }),
      'tokens.json',
    );
    expect(pool).toEqual({ customers: [JWT, `${JWT}a`], baristas: [`${JWT}b`] });
  });

  it('names the file and the field that is wrong, and never echoes a token', () => {
    const error = (value: unknown) => {
      try {
        parseTokenPool(typeof value === 'string' ? value : JSON.stringify(value), 'tokens.json');
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(error('{"customers": [')).toMatch(/^tokens\.json is not JSON: /);
    expect(error([JWT])).toBe('tokens.json must be a JSON object {"customers": [...], "baristas": [...]}');
    expect(error({ baristas: [JWT] })).toBe('tokens.json: "customers" must be a non-empty array of bearer tokens');
    expect(error({ customers: [JWT], baristas: [] })).toBe(
      'tokens.json: "baristas" must be a non-empty array of bearer tokens',
    );
    const bad = error({ customers: [JWT, 'Bearer secret-value'], baristas: [JWT] });
    expect(bad).toMatch(/^tokens\.json: customers\[1\] is not a bearer token/);
    expect(bad).not.toContain('secret-value');
    expect(error({ customers: [JWT], baristas: [{ jwt: JWT }] })).toMatch(
      /^tokens\.json: baristas\[0\] is not a bearer token/,
    );
    // A refresh token is an encrypted five-part JWE: the service would answer 401.
    expect(error({ customers: [JWT], baristas: ['eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d'] })).toMatch(
      /^tokens\.json: baristas\[0\] is not a bearer token: a signed JWT/,
    );
  });

  it('does not quote the file when it is not JSON (the text around the mistake is a token)', () => {
    const text = `{"customers": ["${JWT}", eyJzZWNyZXQiOiJwYXlsb2FkIn0.c2lnbmF0dXJl], "baristas": []}`;
    let message = '';
    try {
      parseTokenPool(text, 'tokens.json');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(
      /^tokens\.json is not JSON( \(at character \d+\))?: check the quotes and commas around the tokens$/,
    );
    expect(message).not.toMatch(/eyJ|c2ln|GF0dXJl/);
  });

  it("reads the tokens' expiry and refuses a run that would outlive them", () => {
    const token = (exp: number) =>
      `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'c1', exp })).toString('base64url')}.c2ln`;
    expect(expiryOf(token(1_900_000_000))).toBe(1_900_000_000);
    expect(expiryOf(JWT)).toBeUndefined();
    const pool = parseTokenPool(
      JSON.stringify({ customers: [token(2_000), token(1_000)], baristas: [token(3_000)] }),
      'tokens.json',
    );
    expect(pool.expiresAt).toBe(1_000);
    expect(expiryProblem(pool, 500_000, 400)).toBeUndefined();
    expect(expiryProblem(pool, 500_000, 600)).toBe(
      'the tokens expire at 1970-01-01T00:16:40.000Z, before the run ends at 1970-01-01T00:18:20.000Z: mint new ones just before the run, or shorten it with --duration',
    );
    expect(expiryProblem(pool, 1_000_000, 1)).toBe('the tokens expired at 1970-01-01T00:16:40.000Z: mint new ones');
    // One token without exp: nothing to judge by.
    expect(
      parseTokenPool(JSON.stringify({ customers: [token(1_000), JWT], baristas: [token(3_000)] }), 't').expiresAt,
    ).toBeUndefined();
  });

  it('hands out tokens round-robin when users outnumber them', () => {
    expect([0, 1, 2, 3, 4].map((i) => tokenAt(['a', 'b', 'c'], i))).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(tokenAt(['a', 'b'], -1)).toBe('b');
  });
});
