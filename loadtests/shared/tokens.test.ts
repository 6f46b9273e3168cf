import { describe, expect, it } from 'vitest';
import { parseTokenPool, tokenAt } from './tokens.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjMSJ9.c2lnbmF0dXJl';

describe('token pools', () => {
  it('reads strings and {token} objects for both pools', () => {
    const pool = parseTokenPool(JSON.stringify({ customers: [JWT, { token: `${JWT}a`, email: 'x@example.com' }], baristas: [`${JWT}b`] }), 'tokens.json');
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
    expect(error({ customers: [JWT], baristas: [] })).toBe('tokens.json: "baristas" must be a non-empty array of bearer tokens');
    const bad = error({ customers: [JWT, 'Bearer secret-value'], baristas: [JWT] });
    expect(bad).toMatch(/^tokens\.json: customers\[1\] is not a bearer token/);
    expect(bad).not.toContain('secret-value');
    expect(error({ customers: [JWT], baristas: [{ jwt: JWT }] })).toMatch(/^tokens\.json: baristas\[0\] is not a bearer token/);
  });

  it('hands out tokens round-robin when users outnumber them', () => {
    expect([0, 1, 2, 3, 4].map((i) => tokenAt(['a', 'b', 'c'], i))).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(tokenAt(['a', 'b'], -1)).toBe('b');
  });
});
