// `mesh weight`'s core: which route a host's split lives in, and the file rewritten so that only
// the weight numbers change.
import { describe, expect, it } from 'vitest';
import { findWeightedRoute, parseWeightArgs, setWeights, type WeightChange } from '../../../src/config/edit-weights.ts';
import { EDGE_GATEWAY, load, MESH, REVIEWS_RULE } from './fixtures.ts';

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
  it('rewrites the weights of a VirtualService that is an item of a kind: List', () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 10}`;
    const list = `apiVersion: v1\nkind: List\nitems:\n${vs.split('\n').map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`)).join('\n')}\n`;
    expect(edit({ 'vs.yaml': list }, { host: 'reviews', weights: { v1: 40, v2: 60 } })).toBe(list.replace('weight: 90', 'weight: 40').replace('weight: 10', 'weight: 60'));
  });

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
      'mesh:0:0 no VirtualService or HTTPRoute routes traffic to ratings',
    );
  });

  it('says when the host is not a service', () => {
    expect(edit({ 'vs.yaml': PRICING }, { host: 'details', weights: { v1: 100 } })).toBe(
      'mesh:0:0 there is no service details in the mesh',
    );
  });

  it('names every subset given that the route does not have, with a hint', () => {
    const { model } = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': PRICING });
    const target = findWeightedRoute(model!, { host: 'reviews', weights: {} });
    expect(setWeights(PRICING, target as never, { v3: 50, v4: 50 })).toMatchObject({
      error: { message: 'the route http[1] (default) of VirtualService reviews has no destination v3, v4; its destinations are v1, v2', hint: 'name the subsets as the route does' },
    });
  });

  it('names the subsets of the route when one given is not there, at the route', () => {
    expect(edit({ 'vs.yaml': PRICING }, { host: 'reviews', weights: { v1: 50, v3: 50 } })).toBe(
      'vs.yaml:13:5 the route http[1] (default) of VirtualService reviews has no destination v3; its destinations are v1, v2',
    );
  });
});

// reviews with three versions, split 50/30/20.
const THREE = {
  'mesh.yaml': MESH.replace('        v2: {image: reviews:2}\n', '        v2: {image: reviews:2}\n        v3: {image: reviews:3}\n'),
  'dr.yaml': `${REVIEWS_RULE}  - {name: v3, labels: {version: v3}}\n`,
  'vs.yaml': `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 50
    - destination: {host: reviews, subset: v2}
      weight: 30
    - destination: {host: reviews, subset: v3}
      weight: 20
`,
};

/** findWeightedRoute and setWeights on `files`, as `mesh weight` runs them. */
function weightEdit(files: Record<string, string>, change: WeightChange) {
  const { model } = load(files);
  const target = findWeightedRoute(model!, change, 'mesh');
  if ('error' in target) throw new Error(target.error.message);
  return { target, result: setWeights(files[target.vs.source.file]!, target, change.weights) };
}

describe('mesh weight: three destinations', () => {
  it('50/30/20 → 50/20/30 is written, though one weight stays (not "already so")', () => {
    const { result } = weightEdit(THREE, { host: 'reviews', weights: { v1: 50, v2: 20, v3: 30 } });
    expect(result).toEqual({
      file: 'vs.yaml',
      text: THREE['vs.yaml'].replace('weight: 30\n    - destination: {host: reviews, subset: v3}\n      weight: 20', 'weight: 20\n    - destination: {host: reviews, subset: v3}\n      weight: 30'),
      summary: 'VirtualService reviews (vs.yaml:1:1): v1 50 → 50, v2 30 → 20, v3 20 → 30',
      reformatted: false,
    });
    expect(changedLines(THREE['vs.yaml'], (result as { text: string }).text)).toEqual(['      weight: 20', '      weight: 30']);
  });

  it('the same weights again change nothing, and say what they are', () => {
    const { result } = weightEdit(THREE, { host: 'reviews', weights: { v1: 50, v2: 30, v3: 20 } });
    expect(result).toEqual({ file: 'vs.yaml', text: THREE['vs.yaml'], summary: 'VirtualService reviews (vs.yaml:1:1): v1 50 → 50, v2 30 → 30, v3 20 → 20', reformatted: false });
  });
});

describe('mesh weight: unwritten weights', () => {
  const vs = (route: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
${route}`;

  it("a lone destination without a weight has Istio's 100: setting 100 writes nothing", () => {
    const files = { 'dr.yaml': REVIEWS_RULE, 'vs.yaml': vs('    - destination: {host: reviews, subset: v1}\n') };
    const { result } = weightEdit(files, { host: 'reviews', weights: { v1: 100 } });
    expect(result).toMatchObject({ text: files['vs.yaml'], summary: 'VirtualService reviews (vs.yaml:1:1): v1 100 → 100', reformatted: false });
  });

  it('destinations without weights have 0 each; writing them prints the document again, and says so', () => {
    const files = {
      'dr.yaml': REVIEWS_RULE,
      'vs.yaml': vs('    - destination: {host: reviews, subset: v1}\n    - destination: {host: reviews, subset: v2}\n      weight: 100\n'),
    };
    const { result } = weightEdit(files, { host: 'reviews', weights: { v1: 100 } });
    expect(result).toMatchObject({ summary: 'VirtualService reviews (vs.yaml:1:1): v1 0 → 100, v2 100 → 0', reformatted: true });
    const { model } = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': (result as { text: string }).text });
    expect(model!.virtualServices[0]!.spec.http![0]!.route!.map((r) => r.weight)).toEqual([100, 0]);
  });

  it('a destination without a subset is named by its host', () => {
    const files = {
      'dr.yaml': REVIEWS_RULE,
      'vs.yaml': vs('    - destination: {host: reviews, subset: v1}\n      weight: 90\n    - destination: {host: ratings}\n      weight: 10\n'),
    };
    const { target, result } = weightEdit(files, { host: 'reviews', weights: { v1: 80, ratings: 20 } });
    expect(target.labels).toEqual(['v1', 'ratings']);
    expect(result).toMatchObject({ summary: 'VirtualService reviews (vs.yaml:1:1): v1 90 → 80, ratings 10 → 20' });
  });
});

describe('mesh weight: errors', () => {
  it('names the VirtualService that moved in its file since the model was loaded', () => {
    const { model } = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': PRICING });
    const target = findWeightedRoute(model!, { host: 'reviews', weights: { v1: 100 } });
    expect(setWeights(`# a new first line\n${PRICING}`, target as never, { v1: 100 })).toEqual({
      error: { file: 'vs.yaml', line: 0, col: 0, severity: 'error', message: 'the VirtualService reviews is no longer where it was in vs.yaml; run the command again' },
    });
  });

  it('gives hints: the services, the routes to the host, how to choose one', () => {
    const { model } = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': PRICING });
    const hint = (change: WeightChange) => {
      const found = findWeightedRoute(model!, change, 'mesh');
      return 'error' in found ? found.error.hint : undefined;
    };
    expect(hint({ host: 'details', weights: {} })).toBe('its services: ratings, reviews');
    expect(hint({ host: 'ratings', weights: {} })).toBe('add one with an http route whose destinations are the subsets of ratings, each with a weight');
    expect(hint({ host: 'reviews', route: 'nope', weights: {} })).toBe('the routes to reviews: http[0] (testers) of VirtualService reviews, http[1] (default) of VirtualService reviews');
    const two = PRICING.replace('  - name: default\n', '  - match: [{uri: {prefix: /}}]\n');
    const { model: twoModel } = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': two });
    const found = findWeightedRoute(twoModel!, { host: 'reviews', weights: {} });
    expect('error' in found && found.error).toMatchObject({
      message: 'several routes send traffic to reviews: http[0] (testers) of VirtualService reviews at vs.yaml:1:1, http[1] of VirtualService reviews at vs.yaml:1:1',
      hint: "choose one with --route NAME (the route's name, or its VirtualService's or HTTPRoute's)",
    });
  });

  it('--route may name the VirtualService', () => {
    const { model } = load({ 'dr.yaml': REVIEWS_RULE, 'vs.yaml': CANARY.split('---')[0]!, 'gw.yaml': EDGE_GATEWAY });
    const found = findWeightedRoute(model!, { host: 'reviews', route: 'reviews', weights: {} });
    expect(found).toMatchObject({ index: 0, labels: ['v1', 'v2'] });
  });
});

describe('mesh weight: arguments', () => {
  it('reads SUBSET=WEIGHT pairs that add up to 100', () => {
    expect(parseWeightArgs(['v1=90', 'v2=10'])).toEqual({ v1: 90, v2: 10 });
    expect(parseWeightArgs(['v1=100'])).toEqual({ v1: 100 });
  });

  it.each([
    [[], 'give at least one SUBSET=WEIGHT, e.g. v1=90 v2=10'],
    [['v1=90', 'v2=20'], 'the weights add up to 110, not 100'],
    [['v1=ninety'], "'v1=ninety' is not SUBSET=WEIGHT with a whole number from 0 to 100, e.g. v2=10"],
    [['v1=-5', 'v2=105'], "'v1=-5' is not SUBSET=WEIGHT with a whole number from 0 to 100, e.g. v2=10"],
    [['v1=150'], 'v1=150: a weight is a percentage, from 0 to 100'],
    [['v1=100%'], "'v1=100%' is not SUBSET=WEIGHT with a whole number from 0 to 100, e.g. v2=10"],
    [['=v1=100'], "'=v1=100' is not SUBSET=WEIGHT with a whole number from 0 to 100, e.g. v2=10"],
    [['v1=50', 'v1=50'], 'v1 is given twice'],
  ])('rejects %j: %s', (args, message) => {
    expect(parseWeightArgs(args)).toBe(message);
  });
});
