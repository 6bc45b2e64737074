// The canary's plan and its driver: parsing, the gates, and what comes after each check, with
// a scripted interval of measurements (the driver's I/O is a value; the real one is tested in
// test/integration/process/canary-analysis.test.ts).
import { describe, expect, it } from 'vitest';
import { check, next, parseShare, parseSteps, type CanaryPlan, type Measured } from '../../../src/canary/analysis.ts';
import { runCanary, type CanaryIO, type Command } from '../../../src/canary/run.ts';

const PLAN: CanaryPlan = { host: 'reviews', from: 'v1', to: 'v2', steps: [10, 50, 100], intervalMs: 400, threshold: 2, maxErrorRate: 0.01, maxP99Ms: 500, minRequests: 10, webhooks: [] };
const good: Measured = { requests: 100, successRate: 1, p99Ms: 20 };
const bad: Measured = { requests: 100, successRate: 0.9, p99Ms: 20 };

describe('the plan', () => {
  it('steps rise and end at 100; shares read as % or fractions', () => {
    expect(parseSteps('10,25,50')).toEqual([10, 25, 50, 100]);
    expect(parseSteps('5, 100')).toEqual([5, 100]);
    expect(parseSteps('50,25')).toMatch(/must rise/);
    expect(parseSteps('0,50')).toMatch(/whole percentages in 1..100/);
    expect(parseShare('1%', '--x')).toBe(0.01);
    expect(parseShare('0.5%', '--x')).toBe(0.005);
    expect(parseShare('0.02', '--x')).toBe(0.02);
    expect(parseShare('150%', '--x')).toMatch(/share such as 1%/);
  });
});

describe('a check', () => {
  it('passes within every gate, and names each measured value with its bound', () => {
    const result = check(PLAN, 10, good, good);
    expect(result.ok).toBe(true);
    expect(result.gates.map((g) => g.text)).toEqual(['100 requests to v2 ≥ 10', 'error rate 0% ≤ 1% (v1: 0%)', 'p99 20.0 ms ≤ 500 ms (v1: 20.0 ms)']);
  });

  it('fails on errors, on latency, and on too few requests', () => {
    expect(check(PLAN, 10, bad, good).gates.find((g) => !g.ok)?.text).toBe('error rate 10% > 1% (v1: 0%)');
    expect(check(PLAN, 10, { ...good, p99Ms: 900 }, good).gates.find((g) => !g.ok)?.text).toBe('p99 900.0 ms > 500 ms (v1: 20.0 ms)');
    expect(check(PLAN, 10, { requests: 3, successRate: 1, p99Ms: 1 }, good).ok).toBe(false);
  });

  it('after it: advance, hold below the threshold, roll back at it, promoted after the last step', () => {
    expect(next(PLAN, 0, check(PLAN, 10, good, good), 0)).toEqual({ kind: 'advance', weight: 50 });
    expect(next(PLAN, 0, check(PLAN, 10, bad, good), 1)).toEqual({ kind: 'hold', weight: 10 });
    expect(next(PLAN, 0, check(PLAN, 10, bad, good), 2)).toMatchObject({ kind: 'rollback' });
    expect(next(PLAN, 2, check(PLAN, 100, good, good), 0)).toEqual({ kind: 'promoted' });
  });
});

/** The driver's I/O over a script of measurements, recording the weights written. */
function scripted(measurements: Measured[], commands: Array<Command | undefined> = []) {
  const written: Array<Record<string, number>> = [];
  let clock = 0;
  const io: CanaryIO = {
    setWeights: async (w) => void written.push(w),
    measure: async () => ({ canary: measurements.shift() ?? good, baseline: good }),
    webhook: async (hook) => ({ name: 'webhook', ok: !hook.url.includes('fail'), text: `webhook ${hook.url}` }),
    sleep: async (ms) => void (clock += ms),
    say: () => undefined,
    command: async () => commands.shift(),
    publish: async () => undefined,
    now: () => clock,
  };
  return { io, written };
}

describe('runCanary', () => {
  it('promotes step by step when every check passes', async () => {
    const { io, written } = scripted([good, good, good]);
    const result = await runCanary(PLAN, { v1: 90, v2: 10 }, io);
    expect(result.outcome).toBe('promoted');
    expect(written).toEqual([{ v1: 90, v2: 10 }, { v1: 50, v2: 50 }, { v1: 0, v2: 100 }]);
    expect(result.checks).toHaveLength(3);
  });

  it('holds after one failed check, rolls back after two, to the weights it found', async () => {
    const { io, written } = scripted([good, bad, bad]);
    const result = await runCanary(PLAN, { v1: 95, v2: 5 }, io);
    expect(result.outcome).toBe('rolled back');
    expect(written.at(-1)).toEqual({ v1: 95, v2: 5 });
    expect(result.weightsAfter).toEqual({ v1: 95, v2: 5 });
    expect(result.why).toMatch(/^2 failed checks \(threshold 2\): error rate 10% > 1%/);
  });

  it('a failing webhook fails the check and holds the weights', async () => {
    const { io, written } = scripted([]);
    const result = await runCanary({ ...PLAN, webhooks: [{ url: 'http://hooks/fail', type: 'rollout', timeoutMs: 1000 }] }, { v1: 100, v2: 0 }, io);
    expect(result.outcome).toBe('rolled back');
    expect(written).toEqual([{ v1: 100, v2: 0 }]);
  });

  it('obeys commands: pause holds the clock, promote goes to 100% at once, abort rolls back', async () => {
    const paused = scripted([good, good, good], ['pause', undefined, undefined, 'resume']);
    expect((await runCanary(PLAN, { v1: 90, v2: 10 }, paused.io)).outcome).toBe('promoted');
    const promoted = scripted([], ['promote']);
    const result = await runCanary(PLAN, { v1: 90, v2: 10 }, promoted.io);
    expect(result.outcome).toBe('promoted');
    expect(promoted.written.at(-1)).toEqual({ v1: 0, v2: 100 });
    const aborted = scripted([], [undefined, 'abort']);
    expect((await runCanary(PLAN, { v1: 90, v2: 10 }, aborted.io)).outcome).toBe('aborted');
    expect(aborted.written.at(-1)).toEqual({ v1: 90, v2: 10 });
  });
});
