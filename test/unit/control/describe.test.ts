// What `mesh control` prints: one sentence per event.
import { describe, expect, it } from 'vitest';
import { describeEvent } from '../../../src/control/describe.ts';
import type { ControlEvent } from '../../../src/control/events.ts';

const AT = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const line = (e: { type: ControlEvent['type'] } & Record<string, unknown>) => describeEvent({ ...e, id: 1, at: AT } as ControlEvent);

describe('describeEvent', () => {
  it('says each step in a sentence, after the time', () => {
    expect(line({ type: 'changed', files: ['mesh/reviews.yaml'], ms: 30 })).toBe('03:04:05.678 mesh/reviews.yaml changed.');
    expect(line({ type: 'changed', files: ['a.yaml', 'b.yaml'], ms: 30 })).toBe('03:04:05.678 2 files changed.');
    expect(line({ type: 'changed', files: ['a.yaml'], unreported: true, ms: 0 })).toBe(
      '03:04:05.678 a.yaml changed (found by reading the files back; no file event told of it).',
    );
    expect(line({ type: 'compiled', version: '3-abcd1234', proxies: ['a', 'b'], warnings: 1, ms: 4.2 })).toBe(
      '03:04:05.678 Version 3-abcd1234 compiled in 4.2 ms for 2 proxies (1 warning).',
    );
    expect(line({ type: 'unchanged', version: '3-abcd1234', ms: 1 })).toBe('03:04:05.678 The mesh is valid and unchanged; version 3-abcd1234 keeps serving.');
    expect(line({ type: 'acked', proxy: 'reviews-v1', kind: 'routes', version: 'r1', latencyMs: 6 })).toBe('03:04:05.678 reviews-v1 accepted routes version r1 in 6 ms.');
    expect(line({ type: 'nacked', proxy: 'reviews-v1', kind: 'routes', version: 'r2', message: 'Unknown cluster X' })).toBe(
      '03:04:05.678 reviews-v1 rejected routes version r2: Unknown cluster X',
    );
    expect(line({ type: 'connected', proxy: 'mesh-gateway' })).toBe('03:04:05.678 mesh-gateway connected.');
  });

  it('an invalid mesh: what keeps serving, then each error as FILE:LINE:COL with its hint', () => {
    const diagnostics = [{ file: 'vs.yaml', line: 18, col: 21, severity: 'error' as const, message: "subset 'v9' is not defined", hint: 'define it' }];
    expect(line({ type: 'invalid', diagnostics, serving: '2-aaaa0000', ms: 3 })).toBe(
      [
        '03:04:05.678 The mesh is invalid (1 error); nothing was pushed and version 2-aaaa0000 keeps serving.',
        "  vs.yaml:18:21: error: subset 'v9' is not defined",
        '    hint: define it',
      ].join('\n'),
    );
    expect(line({ type: 'invalid', diagnostics, ms: 3 }).split('\n')[0]).toContain('nothing is served until it is fixed');
  });
});
