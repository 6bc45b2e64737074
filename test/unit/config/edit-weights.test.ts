// `mesh weight`'s core: which route a host's split lives in, and the file rewritten so that only
// the weight numbers change.
import { describe, expect, it } from 'vitest';
import { findWeightedRoute, parseWeightArgs, setWeights, type WeightChange } from '../../../src/config/edit-weights.ts';
import { EDGE_GATEWAY, load, REVIEWS_RULE } from './fixtures.ts';

/** Loads the mesh with `files`, finds the route and edits its file; the new text or the error line. */
function edit(files: Record<string, string>, change: WeightChange): string {
  const { model, diagnostics } = load({ 'dr.yaml': REVIEWS_RULE, ...files });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const target = findWeightedRoute(model!, change, 'mesh');
  if ('error' in target) return `${target.error.file}:${target.error.line}:${target.error.col} ${target.error.message}`;
  const result = setWeights(files[target.vs.source.file]!, target, change.weights);
  if ('error' in result) return `${result.error.file}:${result.error.line}:${result.error.col} ${result.error.message}`;
  return result.text;
}

/** The lines of `after` that differ from `before` (same line count expected). */
function changedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b.length).toBe(a.length);
  return b.filter((line, i) => line !== a[i]);
}

// Comments everywhere, odd spacing, flow and block style, and a second document after it.
const CANARY = `# The canary split.   Keep   this spacing.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews   # the name
spec:
  hosts: [ "*" ]
  gateways:
    - gw        # from gateway.yaml
  http:
    # the only route
    - route:
        - destination:
            host: reviews
            subset: v1
          weight:   90   # stable
        - destination: {host: reviews, subset: v2}
          weight: 10 # canary
---
# another document, untouched
${EDGE_GATEWAY}`;

describe('mesh weight: the file', () => {
  it('changes only the weight numbers; comments, spacing, style and other documents stay byte for byte', () => {
    const after = edit({ 'vs.yaml': CANARY }, { host: 'reviews', weights: { v1: 50, v2: 50 } });
    expect(after).toBe(CANARY.replace('weight:   90', 'weight:   50').replace('weight: 10 #', 'weight: 50 #'));
    expect(changedLines(CANARY, after)).toEqual(['          weight:   50   # stable', '          weight: 50 # canary']);
  });

  it('gives 0 to the destinations not named', () => {
    const after = edit({ 'vs.yaml': CANARY }, { host: 'reviews', weights: { v2: 100 } });
    expect(changedLines(CANARY, after)).toEqual(['          weight:   0   # stable', '          weight: 100 # canary']);
  });

  it('edits the right document when the file holds several VirtualServices', () => {
    const ratings = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings}
      weight: 100
`;
    const file = `${ratings}---\n${CANARY}`;
    const after = edit({ 'vs.yaml': file }, { host: 'reviews.default', weights: { v1: 0, v2: 100 } });
    expect(changedLines(file, after)).toEqual(['          weight:   0   # stable', '          weight: 100 # canary']);
  });

  it('adds missing weight keys through the document API, keeping comments', () => {
    const file = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}  # stable
      weight: 100
    - destination: {host: reviews, subset: v2}  # canary, no weight yet
`;
    const after = edit({ 'vs.yaml': file }, { host: 'reviews', weights: { v1: 80, v2: 20 } });
    const { model } = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': after });
    expect(model!.virtualServices[0]!.spec.http![0]!.route!.map((r) => r.weight)).toEqual([80, 20]);
    expect(after).toContain('# stable');
    expect(after).toContain('# canary, no weight yet');
  });

  it('writes nothing new when the weights are already so', () => {
    expect(edit({ 'vs.yaml': CANARY }, { host: 'reviews', weights: { v1: 90, v2: 10 } })).toBe(CANARY);
  });
});

const PRICING = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - name: testers
    match: [{headers: {end-user: {exact: tester}}}]
    route:
    - destination: {host: reviews, subset: v2}
  - name: default
    route:
    - destination: {host: reviews, subset: v1}
      weight: 100
    - destination: {host: reviews, subset: v2}
      weight: 0
`;

describe('mesh weight: which route', () => {
  it('takes the default route (no match) when several routes go to the host', () => {
    const after = edit({ 'vs.yaml': PRICING }, { host: 'reviews', weights: { v1: 70, v2: 30 } });
    expect(changedLines(PRICING, after)).toEqual(['      weight: 70', '      weight: 30']);
  });

  it('takes the route named by --route', () => {
    const after = edit({ 'vs.yaml': PRICING }, { host: 'reviews', route: 'testers', weights: { v2: 100 } });
    expect(after).toBe(PRICING);
  });

  it('asks for --route when no single default route exists', () => {
    const two = PRICING.replace('  - name: default\n', '  - name: default\n    match: [{uri: {prefix: /}}]\n');
    expect(edit({ 'vs.yaml': two }, { host: 'reviews', weights: { v1: 100 } })).toBe(
      'mesh:0:0 several routes send traffic to reviews: http[0] (testers) of VirtualService reviews at vs.yaml:1:1, ' +
        'http[1] (default) of VirtualService reviews at vs.yaml:1:1',
    );
  });

  it('names a --route that does not exist, with the routes that do', () => {
    expect(edit({ 'vs.yaml': PRICING }, { host: 'reviews', route: 'nope', weights: { v1: 100 } })).toBe(
      'mesh:0:0 no route named nope goes to reviews',
    );
  });

  it('says when no VirtualService routes to the host', () => {
    expect(edit({ 'vs.yaml': PRICING }, { host: 'ratings', weights: { v1: 100 } })).toBe(
      'mesh:0:0 no VirtualService routes traffic to ratings',
    );
  });

  it('says when the host is not a service', () => {
    expect(edit({ 'vs.yaml': PRICING }, { host: 'details', weights: { v1: 100 } })).toBe(
      'mesh:0:0 there is no service details in the mesh',
    );
  });

  it('names the subsets of the route when one given is not there, at the route', () => {
    expect(edit({ 'vs.yaml': PRICING }, { host: 'reviews', weights: { v1: 50, v3: 50 } })).toBe(
      'vs.yaml:13:5 the route http[1] (default) of VirtualService reviews has no destination v3; its destinations are v1, v2',
    );
  });
});

describe('mesh weight: arguments', () => {
  it('reads SUBSET=WEIGHT pairs that add up to 100', () => {
    expect(parseWeightArgs(['v1=90', 'v2=10'])).toEqual({ v1: 90, v2: 10 });
  });

  it.each([
    [[], 'give at least one SUBSET=WEIGHT, e.g. v1=90 v2=10'],
    [['v1=90', 'v2=20'], 'the weights add up to 110, not 100'],
    [['v1=ninety'], "'v1=ninety' is not SUBSET=WEIGHT with a whole number from 0 to 100, e.g. v2=10"],
    [['v1=-5', 'v2=105'], "'v1=-5' is not SUBSET=WEIGHT with a whole number from 0 to 100, e.g. v2=10"],
    [['v1=150'], 'v1=150: a weight is a percentage, from 0 to 100'],
    [['v1=50', 'v1=50'], 'v1 is given twice'],
  ])('rejects %j: %s', (args, message) => {
    expect(parseWeightArgs(args)).toBe(message);
  });
});
