// Several DestinationRules for one host, merged as Istio merges them (pilot/pkg/model
// destination_rule.go mergeDestinationRule): subsets are concatenated in precedence order (file
// order here), a later subset of a name already defined is dropped, and the top-level traffic
// policy is the first rule's that has one.
import { describe, expect, it } from 'vitest';
import { cluster, compile, proxy } from './compile-helpers.ts';

const R = 'reviews.default.svc.cluster.local';

const rule = (name: string, spec: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}}
spec:
  host: reviews
${spec}`;

const FIRST = rule('reviews-a', '  subsets:\n  - {name: v1, labels: {version: v1}}\n');
const SECOND = rule('reviews-b', `  trafficPolicy: {loadBalancer: {simple: RANDOM}}
  subsets:
  - {name: v1, labels: {version: v2}}
  - {name: v2, labels: {version: v2}, trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}}
`);
const THIRD = rule('reviews-c', '  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}\n');

const ROUTE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 50}
    - {destination: {host: reviews, subset: v2}, weight: 50}
`;

describe('DestinationRules merged per host', () => {
  const s = proxy(compile([FIRST, SECOND, THIRD, ROUTE]), 'productpage-v1');

  it('has the subsets of every rule, the first definition of a name winning', () => {
    const names = s.clusters.map((c) => c.name).filter((n) => n.endsWith(`|${R}`));
    expect(names).toEqual([`outbound|9080|v1|${R}`, `outbound|9080|v2|${R}`, `outbound|9080||${R}`]);
    // v1 is the first rule's (version v1), not the second's (version v2).
    expect(JSON.stringify(cluster(s, `outbound|9080|v1|${R}`).load_assignment)).toContain('reviews-v1-proxy');
    expect(JSON.stringify(cluster(s, `outbound|9080|v1|${R}`).load_assignment)).not.toContain('reviews-v2-proxy');
  });

  it("takes the top-level traffic policy of the first rule that has one; a subset keeps its own", () => {
    expect(cluster(s, `outbound|9080||${R}`).lb_policy).toBe('RANDOM');
    expect(cluster(s, `outbound|9080|v1|${R}`).lb_policy).toBe('RANDOM');
    expect(cluster(s, `outbound|9080|v2|${R}`).lb_policy).toBe('LEAST_REQUEST');
  });
});
