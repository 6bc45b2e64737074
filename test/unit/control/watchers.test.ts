// Who watches the requests (control/watchers.ts): a stream while open, a question for a while after;
// one switch on when the first comes, one switch off when the last is over.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchers } from '../../../src/control/watchers.ts';

describe('watchers', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('switches on with the first stream, stays on while any is open, and off a linger after the last closes', () => {
    const switches: boolean[] = [];
    const w = watchers((on) => switches.push(on), 1000);
    expect(w.watched()).toBe(false);
    expect(w.since()).toBeUndefined();
    const a = w.hold();
    const b = w.hold();
    expect(switches).toEqual([true]);
    expect(w.since()).toBe(Date.now());
    a();
    a(); // twice is once
    vi.advanceTimersByTime(5000);
    expect(switches).toEqual([true]);
    b();
    vi.advanceTimersByTime(999);
    expect(w.watched()).toBe(true);
    vi.advanceTimersByTime(1);
    expect(switches).toEqual([true, false]);
    expect(w.since()).toBeUndefined();
    w.close();
  });

  it('a question keeps it on for the linger from the last one; a stream reopened within it is no switch', () => {
    const switches: boolean[] = [];
    const w = watchers((on) => switches.push(on), 1000);
    w.touch();
    vi.advanceTimersByTime(800);
    w.touch();
    vi.advanceTimersByTime(800);
    expect(switches).toEqual([true]);
    const release = w.hold();
    release();
    const again = w.hold();
    vi.advanceTimersByTime(10_000);
    expect(switches).toEqual([true]);
    again();
    vi.advanceTimersByTime(1000);
    expect(switches).toEqual([true, false]);
    w.close();
  });
});
