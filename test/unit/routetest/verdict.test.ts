// Route tests against a compiled mesh, in memory: each kind of expectation passing and failing
// with its sentence, per-source routes (sourceLabels), and where a failure points.
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { compileMesh } from '../../../src/compile/index.ts';
import { composeAddressing } from '../../../src/compile/addressing.ts';
import { parseTests } from '../../../src/routetest/file.ts';
import { runTest } from '../../../src/routetest/verdict.ts';

const MESH = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: { name: t }
spec:
  services:
    web: { ports: [{ port: 9080 }], versions: { v1: { command: [x] }, v2: { command: [x] } } }
    reviews: { ports: [{ port: 9080 }], versions: { v1: { command: [x] }, v2: { command: [x] } } }
    api: { ports: [{ port: 80 }, { port: 8080 }], versions: { v1: { command: [x] } } }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec: { host: reviews, subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
    - name: canary-callers
      match: [{ sourceLabels: { version: v2 } }]
      route: [{ destination: { host: reviews, subset: v2 } }]
    - name: api
      match: [{ uri: { prefix: /api }, headers: { x-debug: {} } }]
      rewrite: { uri: /v2/api, authority: reviews-debug }
      headers: { request: { set: { x-routed: debug } }, response: { remove: [server] } }
      mirror: { host: reviews, subset: v2 }
      mirrorPercentage: { value: 25 }
      timeout: 1s
      retries: { attempts: 0 }
      route: [{ destination: { host: reviews, subset: v1 } }]
    - name: split
      fault: { abort: { httpStatus: 500, percentage: { value: 100 } } }
      match: [{ uri: { exact: /boom } }]
      route: [{ destination: { host: reviews, subset: v1 } }]
    - name: default
      route:
        - { destination: { host: reviews, subset: v1 }, weight: 80 }
        - { destination: { host: reviews, subset: v2 }, weight: 20, headers: { request: { set: { x-canary: "1" } } } }
`;

const model = loadMeshFromSources([{ path: 'mesh.yaml', text: MESH }]).model!;
const compiled = compileMesh(model, composeAddressing());

/** Run tests written under `spec.tests` (YAML lines, indented 4). */
function run(tests: string) {
  const text = `apiVersion: localmesh.dev/v1alpha1\nkind: RouteTest\nspec:\n  tests:\n${tests}`;
  const parsed = parseTests([{ path: 'r.test.yaml', text }]);
  expect(parsed.diagnostics).toEqual([]);
  return parsed.tests.map((t) => runTest(model, compiled, t));
}

const messages = (tests: string) => run(tests).flatMap((r) => r.failures.map((f) => `${f.at.line}:${f.at.col} ${f.expectation}: ${f.message}`));

describe('route test verdicts', () => {
  it('weights, and the destination of a split', () => {
    expect(messages('    - request: { source: web/v1, host: reviews }\n      expect: { weights: { reviews/v1: 80, reviews/v2: 20 }, destination: reviews }\n')).toEqual([]);
    expect(messages('    - request: { source: web/v1, host: reviews }\n      expect: { weights: { reviews/v1: 100 }, destination: reviews/v1 }\n')).toEqual([
      '6:60 destination: expected reviews/v1, the proxy routes → reviews/v1/9080 80%, reviews/v2/9080 20%',
      '6:26 weights: reviews/v1 gets 80%, not 100%; reviews/v2/9080 gets 20% and is not listed (the proxy routes → reviews/v1/9080 80%, reviews/v2/9080 20%)',
    ]);
  });

  it('per-source routes: without a version, every version is checked', () => {
    const [result] = run('    - request: { source: web, host: reviews }\n      expect: { destination: reviews/v2, route: canary-callers }\n');
    expect(result!.outcomes.map((o) => o.probe.proxy)).toEqual(['web-v1', 'web-v2']);
    expect(result!.failures.map((f) => f.message)).toEqual([
      'expected reviews/v2, the proxy routes → reviews/v1/9080 80%, reviews/v2/9080 20% (from web-v1)',
      "expected route 'canary-callers', route 'default' takes it (from web-v1)",
    ]);
  });

  it('rewrite, headers, mirror, timeout and retries of a route', () => {
    const request = '    - request: { source: web/v1, host: reviews, path: /api/x?y=1, headers: { x-debug: "" } }\n';
    expect(
      messages(
        request +
          '      expect:\n        route: api\n        rewrite: { uri: /v2/api/x, authority: reviews-debug }\n' +
          '        headers: { request: { set: { x-routed: debug } }, response: { remove: [Server] } }\n' +
          '        mirror: reviews/v2\n        mirrorPercentage: { value: 25 }\n        timeout: 1s\n        retries: none\n        fault: none\n',
      ),
    ).toEqual([]);
    expect(
      messages(
        request +
          '      expect:\n        rewrite: { uri: /api/x }\n        headers: { request: { add: { x-routed: debug } } }\n' +
          '        mirror: none\n        timeout: none\n        retries: { attempts: 2 }\n',
      ),
    ).toEqual([
      '8:18 headers: request header x-routed \'debug\' is not added; the route has request set x-routed: debug',
      '7:18 rewrite: expected the upstream to see path /api/x, it sees /v2/api/x',
      '10:18 timeout: expected no timeout, the route has 1s',
      '11:18 retries: the route retries: none',
      '9:17 mirror: expected no mirror, the route mirrors to reviews/v2/9080 25%',
    ]);
  });

  it('a header set on one weighted destination is not set on the route', () => {
    expect(messages('    - request: { source: web/v1, host: reviews }\n      expect: { headers: { request: { set: { x-canary: "1" } } } }\n')).toEqual([
      "6:26 headers: request header x-canary is not set to '1'; the route has no header operations",
    ]);
  });

  it('status: aborts at 100 %, 404s, and forwarded requests (whose status is the app\'s)', () => {
    expect(messages('    - request: { source: web/v1, host: reviews, path: /boom }\n      expect: { status: 500, fault: { abort: { httpStatus: 500 } } }\n')).toEqual([]);
    expect(messages('    - request: { source: gateway, host: reviews }\n      expect: { status: 404 }\n')).toEqual([
      '5:26 request: the mesh has no Gateway with an HTTP server; source: gateway needs one',
    ]);
    // Offline, sidecars capture as on Compose (and in a cluster, Istio's ALLOW_ANY): an unknown host passes through.
    expect(messages('    - request: { source: web/v1, host: nowhere, port: 9080 }\n      expect: { status: 404, destination: PassthroughCluster }\n')).toEqual([
      "6:25 status: expected status 404, but the proxy forwards (→ PassthroughCluster): the status is the app's",
    ]);
  });

  it('ports: a service with several needs one; port 80 is the bare host', () => {
    expect(messages('    - request: { source: web/v1, host: api }\n      expect: { destination: api }\n')).toEqual([
      '5:40 request: api has several HTTP ports (80, 8080); give the request a port',
    ]);
    const [bare] = run('    - request: { source: web/v1, host: api, port: 80 }\n      expect: { destination: api//80 }\n');
    expect(bare!.outcomes[0]!.probe.request.authority).toBe('api');
    expect(bare!.failures).toEqual([]);
    expect(messages('    - request: { source: web/v1, host: api.default, port: 8080 }\n      expect: { destination: { host: api, port: { number: 8080 } } }\n')).toEqual([]);
  });
});
