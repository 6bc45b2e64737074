// What a DestinationRule means, checked against the mesh.
import { describe, expect, it } from 'vitest';
import { diagnostics, hints, REVIEWS_RULE } from './fixtures.ts';

const HEAD = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
`;

describe('DestinationRule', () => {
  it('resolves its host to a service of the mesh', () => {
    expect(diagnostics({ 'dr.yaml': REVIEWS_RULE })).toEqual([]);
    expect(diagnostics({ 'dr.yaml': REVIEWS_RULE.replace('host: reviews', 'host: reviews.default.svc.cluster.local') })).toEqual([]);
  });

  it('reports a host that is not in the mesh', () => {
    expect(diagnostics({ 'dr.yaml': `${HEAD}  host: reviewz\n` })).toEqual([
      "dr.yaml:5:9 error: DestinationRule host 'reviewz' is not a service of the mesh; did you mean 'reviews'?",
    ]);
    expect(hints({ 'dr.yaml': `${HEAD}  host: reviewz\n` })).toEqual([
      'services of the mesh: ratings, reviews (declared in the Mesh document or by Kubernetes Services)',
    ]);
  });

  it('rejects a subset name defined twice', () => {
    const rule = `${HEAD}  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v1, labels: {version: v2}}
`;
    expect(diagnostics({ 'dr.yaml': rule })).toEqual(["dr.yaml:8:12 error: subset 'v1' is defined twice in DestinationRule reviews"]);
    expect(hints({ 'dr.yaml': rule })).toEqual(['the first is at dr.yaml:7:12']);
  });

  it('warns about a subset that selects no version', () => {
    const rule = `${HEAD}  host: reviews
  subsets:
  - {name: v3, labels: {version: v3}}
  - {name: all, labels: {app: reviews}}
`;
    expect(diagnostics({ 'dr.yaml': rule })).toEqual([
      "dr.yaml:7:12 warning: subset 'v3' selects no version of reviews (labels version=v3), so traffic sent to it fails",
    ]);
  });

  it('rejects a consistent hash with several keys', () => {
    const rule = `${HEAD}  host: reviews
  trafficPolicy:
    loadBalancer:
      consistentHash: {httpHeaderName: x-user, useSourceIp: true}
`;
    expect(diagnostics({ 'dr.yaml': rule })).toEqual([
      'dr.yaml:8:48 error: spec.trafficPolicy.loadBalancer.consistentHash sets httpHeaderName and useSourceIp; it takes only one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName',
    ]);
  });

  it('warns about each field it accepts but does not apply, wherever the policy is', () => {
    const rule = `${HEAD}  host: reviews
  exportTo: ["."]
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN, localityLbSetting: {enabled: true}}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      portLevelSettings:
      - port: {number: 9080}
        tls: {mode: ISTIO_MUTUAL}
        connectionPool: {http: {h2UpgradePolicy: UPGRADE}}
`;
    expect(diagnostics({ 'dr.yaml': rule })).toEqual([
      'dr.yaml:8:41 warning: DestinationRule spec.trafficPolicy.loadBalancer.localityLbSetting is accepted but not applied by localmesh yet: there is one locality on a laptop',
    ]);
  });

  it('checks durations anywhere in a traffic policy, subsets included', () => {
    const rule = `${HEAD}  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      connectionPool: {tcp: {connectTimeout: 5 seconds}}
`;
    expect(diagnostics({ 'dr.yaml': rule })).toEqual([
      "dr.yaml:10:46 error: '5 seconds' at spec.subsets[0].trafficPolicy.connectionPool.tcp.connectTimeout is not a duration",
    ]);
  });

  it('reports a misspelt field first, before the errors that follow from it', () => {
    // One file, the VirtualService first (as in examples/canary/reviews.yaml): its references to
    // the subsets come earlier in the file than the misspelt `subset:` that makes them fail.
    const file = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 10}
---
${REVIEWS_RULE.replace('  subsets:', '  subset:')}`;
    const found = diagnostics({ 'reviews.yaml': file });
    expect(found[0]).toBe("reviews.yaml:16:3 error: unknown field 'subset' in DestinationRule spec; did you mean 'subsets'?");
    expect(found.slice(1)).toEqual([
      "reviews.yaml:8:45 error: subset 'v1' of reviews is not defined: no DestinationRule for reviews",
      "reviews.yaml:9:45 error: subset 'v2' of reviews is not defined: no DestinationRule for reviews",
    ]);
    expect(hints({ 'reviews.yaml': file })[0]).toBe('known fields here: host, trafficPolicy, subsets, exportTo, workloadSelector');
  });
});
