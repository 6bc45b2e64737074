// A Canary document → the canary's settings, with Flagger's semantics for the weights, and the
// flags over the document; pre-rollout webhooks before the first step, rollout ones before each.
import { describe, expect, it } from 'vitest';
import { flaggerSteps, mergeSettings, planOf, settingsFromDocument } from '../../../src/canary/document.ts';
import { runCanary, type CanaryIO } from '../../../src/canary/run.ts';
import type { Measured, Webhook } from '../../../src/canary/analysis.ts';
import { load, REVIEWS_RULE } from '../config/fixtures.ts';

describe("Flagger's weights", () => {
  it('stepWeight adds up to maxWeight (100 by default), then promotes', () => {
    expect(flaggerSteps({ stepWeight: 10, maxWeight: 50 })).toEqual([10, 20, 30, 40, 50, 100]);
    expect(flaggerSteps({ stepWeight: 25 })).toEqual([25, 50, 75, 100]);
    // As Flagger's scheduler: the weight grows by stepWeight until it is at least maxWeight.
    expect(flaggerSteps({ stepWeight: 20, maxWeight: 50 })).toEqual([20, 40, 60, 100]);
    expect(flaggerSteps({ stepWeight: 30 })).toEqual([30, 60, 90, 100]);
    expect(flaggerSteps({ stepWeight: 100 })).toEqual([100]);
  });

  it('stepWeights are the weights; the last is the max weight, then the promotion', () => {
    expect(flaggerSteps({ stepWeights: [1, 2, 10, 80] })).toEqual([1, 2, 10, 80, 100]);
    expect(flaggerSteps({ stepWeights: [5, 100] })).toEqual([5, 100]);
    expect(flaggerSteps({})).toBeUndefined();
  });
});

const DOC = `apiVersion: localmesh.dev/v1alpha1
kind: Canary
metadata: {name: reviews-v2}
spec:
  host: reviews
  to: v2
  route: main
  analysis:
    interval: 1m
    threshold: 5
    stepWeights: [5, 20, 50]
    metrics:
    - {name: request-success-rate, thresholdRange: {min: 99.5}}
    - {name: request-duration, thresholdRange: {max: 250}}
    webhooks:
    - {name: smoke, type: pre-rollout, url: 'http://hooks/smoke', timeout: 3s, metadata: {suite: smoke}}
    - {url: 'http://hooks/gate'}
  minRequests: 7
  load: false
`;

function document() {
  const { model, diagnostics } = load({ 'dr.yaml': REVIEWS_RULE, 'canary.yaml': DOC });
  expect(diagnostics).toEqual([]);
  return model!.canaries![0]!.spec;
}

describe('a Canary document as settings', () => {
  it('maps every field to the plan', () => {
    const settings = mergeSettings(settingsFromDocument(document()));
    expect(settings).toEqual({
      to: 'v2', route: 'main', steps: [5, 20, 50, 100], intervalMs: 60_000, threshold: 5, maxErrorRate: 0.005, maxP99Ms: 250, minRequests: 7, load: false,
      webhooks: [
        { name: 'smoke', type: 'pre-rollout', url: 'http://hooks/smoke', timeoutMs: 3000, metadata: { suite: 'smoke' } },
        { type: 'rollout', url: 'http://hooks/gate', timeoutMs: 10_000 },
      ],
    });
    expect(planOf('reviews', settings, 'v1', 'v2')).toMatchObject({ host: 'reviews', route: 'main', from: 'v1', to: 'v2', steps: [5, 20, 50, 100] });
  });

  it("leaves out what it does not say (mesh canary's defaults), and a flag's setting wins", () => {
    const bare = settingsFromDocument({ host: 'reviews', to: 'v2' });
    expect(bare).toEqual({ to: 'v2' });
    expect(mergeSettings(bare)).toEqual({ to: 'v2', steps: [10, 25, 50, 100], intervalMs: 10_000, threshold: 2, maxErrorRate: 0.01, minRequests: 50, webhooks: [], load: {} });
    const flags = { intervalMs: 2000, steps: [50, 100], load: { rps: 20 } };
    expect(mergeSettings(settingsFromDocument(document()), flags)).toMatchObject({ intervalMs: 2000, steps: [50, 100], load: { rps: 20 }, threshold: 5 });
  });
});

describe('webhooks by type', () => {
  it('pre-rollout is called before the first step only; rollout before every check', async () => {
    const calls: string[] = [];
    let clock = 0;
    const good: Measured = { requests: 100, successRate: 1, p99Ms: 5 };
    const hooks: Webhook[] = [
      { url: 'http://hooks/smoke', type: 'pre-rollout', timeoutMs: 1000 },
      { url: 'http://hooks/gate', type: 'rollout', timeoutMs: 1000 },
    ];
    const io: CanaryIO = {
      setWeights: async () => undefined,
      measure: async () => ({ canary: good, baseline: good }),
      webhook: async (hook, payload) => (calls.push(`${hook.url.split('/').pop()}@${String(payload.weight)}`), { name: 'webhook', ok: true, text: hook.url }),
      sleep: async (ms) => void (clock += ms),
      say: () => undefined,
      command: async () => undefined,
      publish: async () => undefined,
      now: () => clock,
    };
    const plan = { host: 'reviews', from: 'v1', to: 'v2', steps: [10, 50, 100], intervalMs: 400, threshold: 2, maxErrorRate: 0.01, minRequests: 1, webhooks: hooks };
    const result = await runCanary(plan, { v1: 100, v2: 0 }, io);
    expect(result.outcome).toBe('promoted');
    expect(calls).toEqual(['smoke@10', 'gate@10', 'gate@50', 'gate@100']);
  });

  it('a failing pre-rollout webhook moves no traffic, and rolls back at the threshold', async () => {
    const written: Array<Record<string, number>> = [];
    let clock = 0;
    const io: CanaryIO = {
      setWeights: async (w) => void written.push(w),
      measure: async () => ({ canary: { requests: 0, successRate: null, p99Ms: null }, baseline: { requests: 0, successRate: null, p99Ms: null } }),
      webhook: async (hook) => ({ name: 'webhook', ok: false, text: `${hook.url} answered 500` }),
      sleep: async (ms) => void (clock += ms),
      say: () => undefined,
      command: async () => undefined,
      publish: async () => undefined,
      now: () => clock,
    };
    const plan = { host: 'reviews', from: 'v1', to: 'v2', steps: [10, 100], intervalMs: 400, threshold: 2, maxErrorRate: 0.01, minRequests: 1, webhooks: [{ url: 'http://hooks/smoke', type: 'pre-rollout' as const, timeoutMs: 1000 }] };
    const result = await runCanary(plan, { v1: 90, v2: 10 }, io);
    expect(result.outcome).toBe('rolled back');
    expect(written).toEqual([{ v1: 90, v2: 10 }]);
  });
});
