import { describe, expect, it } from 'vitest';
import { parseRates } from './cli.ts';

describe('coffee bench --rates', () => {
  it('reads pinned arrival rates by comparison and names a bad pair', () => {
    expect(parseRates('menu=1500, orders=300,load-engine=2000')).toEqual({
      menu: 1500,
      orders: 300,
      'load-engine': 2000,
    });
    expect(() => parseRates('menu=fast')).toThrow(/--rates takes ID=REQ_PER_S pairs.*"menu=fast"/);
  });
});
