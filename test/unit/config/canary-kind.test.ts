// The Canary kind: read with the mesh, checked against it with positions, never compiled.
import { describe, expect, it } from 'vitest';
import { compileMesh } from '../../../src/compile/index.ts';
import { composeAddressing } from '../../../src/compile/addressing.ts';
import { diagnostics, hints, load, REVIEWS_RULE } from './fixtures.ts';

const CANARY = `apiVersion: localmesh.dev/v1alpha1
kind: Canary
metadata: {name: reviews-v2}
spec:
  host: reviews
  from: v1
  to: v2
  analysis:
    interval: 30s
    threshold: 3
    stepWeight: 20
    maxWeight: 50
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
    - name: request-duration
      thresholdRange: {max: 500}
    webhooks:
    - {name: smoke, type: pre-rollout, url: 'http://127.0.0.1:9/smoke', timeout: 5s}
  minRequests: 20
  load: {rps: 40}
`;

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 100}
    - {destination: {host: reviews, subset: v2}, weight: 0}
`;

describe('the Canary kind', () => {
  it('is read into the model, its spec as written', () => {
    const { model, diagnostics: found } = load({ 'dr.yaml': REVIEWS_RULE, 'canary.yaml': CANARY });
    expect(found).toEqual([]);
    expect(model?.canaries).toHaveLength(1);
    expect(model?.canaries?.[0]).toMatchObject({ name: 'reviews-v2', namespace: 'default', service: 'reviews.default.svc.cluster.local', source: { file: 'canary.yaml', line: 1, col: 1 } });
    expect(model?.canaries?.[0]?.spec.analysis?.webhooks?.[0]).toEqual({ name: 'smoke', type: 'pre-rollout', url: 'http://127.0.0.1:9/smoke', timeout: '5s' });
  });

  it('changes no traffic: the compile of a mesh with one is the compile without it', () => {
    const without = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': VS }).model!;
    const withIt = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': VS, 'canary.yaml': CANARY }).model!;
    expect(withIt.canaries).toHaveLength(1);
    expect(JSON.stringify(compileMesh(withIt, composeAddressing()))).toBe(JSON.stringify(compileMesh(without, composeAddressing())));
  });

  it('points at a host that is not a service, and at subsets no DestinationRule defines', () => {
    expect(diagnostics({ 'dr.yaml': REVIEWS_RULE, 'canary.yaml': CANARY.replace('host: reviews', 'host: reviewz') })).toEqual([
      "canary.yaml:5:9 error: canary host 'reviewz' is not a service of the mesh; did you mean 'reviews'?",
    ]);
    expect(diagnostics({ 'dr.yaml': REVIEWS_RULE, 'canary.yaml': CANARY.replace('to: v2', 'to: v3') })).toEqual([
      "canary.yaml:7:7 error: subset 'v3' is not defined by DestinationRule reviews for reviews",
    ]);
    expect(hints({ 'dr.yaml': REVIEWS_RULE, 'canary.yaml': CANARY.replace('to: v2', 'to: v3') })).toEqual([
      'a canary moves traffic between subsets of a DestinationRule for reviews: subsets: [{name: v3, labels: {version: v3}}]',
    ]);
    expect(diagnostics({ 'canary.yaml': CANARY })).toEqual([
      "canary.yaml:6:9 error: subset 'v1' of reviews is not defined: no DestinationRule for reviews",
      "canary.yaml:7:7 error: subset 'v2' of reviews is not defined: no DestinationRule for reviews",
    ]);
    expect(diagnostics({ 'dr.yaml': REVIEWS_RULE, 'canary.yaml': CANARY.replace('from: v1', 'from: v2') })).toEqual([
      "canary.yaml:7:7 error: from and to are both 'v2'; a canary moves traffic from one subset to another",
    ]);
  });

  it('checks its schema like every kind: unknown fields, types, metric names, webhook types', () => {
    const errors = (text: string) => diagnostics({ 'dr.yaml': REVIEWS_RULE, 'canary.yaml': text }, 'error');
    expect(errors(CANARY.replace('stepWeight: 20', 'stepWieght: 20'))[0]).toMatch(/^canary\.yaml:11:5 error: .*stepWieght/);
    expect(errors(CANARY.replace('threshold: 3', 'threshold: three'))[0]).toMatch(/^canary\.yaml:10:16 error: /);
    expect(errors(CANARY.replace('name: request-duration', 'name: request-latency'))[0]).toMatch(/^canary\.yaml:16:13 error: .*request-latency/);
    expect(errors(CANARY.replace('type: pre-rollout', 'type: confirm-promotion'))[0]).toMatch(/^canary\.yaml:19:27 error: .*confirm-promotion/);
    expect(errors(CANARY.replace('interval: 30s', 'interval: soon'))).toEqual([
      "canary.yaml:9:15 error: 'soon' at spec.analysis.interval is not a duration",
    ]);
  });

  it('checks the analysis as Flagger means it, at the field', () => {
    const all = (text: string) => diagnostics({ 'dr.yaml': REVIEWS_RULE, 'canary.yaml': text });
    expect(all(CANARY.replace('stepWeight: 20', 'stepWeight: 20\n    stepWeights: [10, 50]'))).toEqual([
      'canary.yaml:12:5 error: stepWeight and stepWeights are both set; Flagger would use stepWeight and ignore the list',
    ]);
    expect(all(CANARY.replace('stepWeight: 20', 'stepWeights: [50, 20]'))).toEqual([
      'canary.yaml:11:23 error: stepWeights must rise step by step: 20 follows 50',
      'canary.yaml:12:5 warning: maxWeight has no effect with stepWeights: the last of stepWeights is the weight at which the canary is promoted',
    ]);
    expect(all(CANARY.replace('    stepWeight: 20\n', ''))).toEqual(['canary.yaml:11:5 error: maxWeight needs stepWeight, the weight added at each step']);
    expect(all(CANARY.replace('{min: 99}', '{max: 99}'))).toEqual([
      'canary.yaml:15:24 error: request-success-rate takes thresholdRange.min, the lowest share of requests answered without a 5xx, in percent',
    ]);
    expect(all(CANARY.replace('{min: 99}', '{min: 120}'))).toEqual(['canary.yaml:15:24 error: thresholdRange.min is 120; a success rate is a percentage between 0 and 100']);
    expect(all(CANARY.replace('{max: 500}', '{}'))).toEqual(['canary.yaml:17:7 error: request-duration needs thresholdRange.max (milliseconds, p99)']);
    expect(all(CANARY.replace('{max: 500}', '{max: 500}\n      interval: 1m'))).toEqual([
      'canary.yaml:18:17 error: localmesh measures every metric over the analysis interval (30s), not over 1m',
    ]);
    expect(all(CANARY.replace("'http://127.0.0.1:9/smoke'", 'smoke.local'))).toEqual([
      "canary.yaml:19:45 error: webhook url 'smoke.local' is not an http:// or https:// URL",
    ]);
    expect(all(`${CANARY}---\n${CANARY}`)).toEqual(['canary.yaml:25:18 error: Canary reviews-v2 is defined twice']);
  });
});
