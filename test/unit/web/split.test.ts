// The web view's sliders: one destination moved, the others share the rest as they did.
import { describe, expect, it } from 'vitest';
import { rebalance } from '../../../web/split.js';

describe('rebalance', () => {
  it('gives two destinations the rest', () => {
    expect(rebalance([90, 10], 0, 50)).toEqual([50, 50]);
    expect(rebalance([90, 10], 1, 25)).toEqual([75, 25]);
  });
  it('keeps the others\' proportions, in whole numbers adding up to 100', () => {
    expect(rebalance([50, 30, 20], 0, 0)).toEqual([0, 60, 40]);
    expect(rebalance([50, 30, 20], 2, 50)).toEqual([31, 19, 50]);
    expect(rebalance([34, 33, 33], 0, 0)).toEqual([0, 50, 50]);
    for (const w of [0, 1, 33, 67, 99, 100]) expect(rebalance([10, 20, 30, 40], 1, w).reduce((a, b) => a + b)).toBe(100);
  });
  it('shares the rest equally when the others are all at 0', () => {
    expect(rebalance([100, 0, 0], 0, 40)).toEqual([40, 30, 30]);
    expect(rebalance([100, 0, 0, 0], 0, 0)).toEqual([0, 34, 33, 33]);
  });
});
