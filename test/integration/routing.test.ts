// VirtualService routing through the ingress gateway: weighted splits, request matching
// (headers, withoutHeaders, uri, ignoreUriCase, queryParams, method) and TCP routes. One gateway Envoy for the
// whole file; each feature has a VirtualService of its own, selected by the Host header.
import { describe, expect, it } from 'vitest';
import { EDGE_GATEWAY, meshYaml, subsetsRule, useMesh } from '../helpers/mesh.ts';
import { binomialCheck, send, sendMany, type Request } from '../helpers/traffic.ts';

const mesh = useMesh([
  meshYaml({ reviews: 'v1 v2 v3', db: { versions: 'v1', port: 5432, protocol: 'tcp' } }),
  EDGE_GATEWAY,
  subsetsRule('reviews', 'v1 v2 v3'),
]);

/** Sends one request per case and expects the version (or `none` with the status) named. */
async function expectRoutes(cases: Array<[string, Request, string, number?]>) {
  for (const [what, request, version, status = 200] of cases) {
    const response = await send(request);
    expect(
      { version: response.version, status: response.status },
      `${what}: expected ${version} (${status}), got ${response.version} (${response.status}) ${response.body.slice(0, 200)}`,
    ).toEqual({ version, status });
  }
}

describe('weighted split', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: split
spec:
  hosts: [split.test]
  gateways: [edge]
  http:
    - route:
        - destination: { host: reviews, subset: v1 }
          weight: 90
        - destination: { host: reviews, subset: v2 }
          weight: 10
`);

  it('sends 90% to v1 and 10% to v2 over 1000 requests', async () => {
    const tally = await sendMany(1000, mesh.at('split.test'));
    expect(tally.byStatus, tally.summary).toEqual({ 200: 1000 });
    expect((tally.byVersion.v1 ?? 0) + (tally.byVersion.v2 ?? 0), tally.summary).toBe(1000);
    const check = binomialCheck(tally.byVersion.v2 ?? 0, 1000, 0.1);
    expect(check.ok, `v2 share: ${check.message}; ${tally.summary}`).toBe(true);
  });

  it('matches the host when the Host header carries a port (as curl sends for a published port)', async () => {
    const response = await send(mesh.at('split.test:8080'));
    expect(response.status, response.body).toBe(200);
  });
});

describe('header matching', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: headers
spec:
  hosts: [headers.test]
  gateways: [edge]
  http:
    - match:
        - headers: { x-exact: { exact: canary } }
        - headers: { x-prefix: { prefix: beta- } }
      route: [{ destination: { host: reviews, subset: v2 } }]
    - match:
        - headers: { x-regex: { regex: "user-[0-9]+" } }
        - headers: { x-present: {} }
      route: [{ destination: { host: reviews, subset: v3 } }]
    - route: [{ destination: { host: reviews, subset: v1 } }]
`);

  it('routes on exact, prefix, regex (whole value) and presence', async () => {
    const at = (headers: Record<string, string>) => mesh.at('headers.test', '/', { headers });
    await expectRoutes([
      ['no header', at({}), 'v1'],
      ['x-exact: canary', at({ 'x-exact': 'canary' }), 'v2'],
      ['x-exact: canary2 (not exact)', at({ 'x-exact': 'canary2' }), 'v1'],
      ['x-prefix: beta-7', at({ 'x-prefix': 'beta-7' }), 'v2'],
      ['x-prefix: alpha-beta-7', at({ 'x-prefix': 'alpha-beta-7' }), 'v1'],
      ['x-regex: user-42', at({ 'x-regex': 'user-42' }), 'v3'],
      ['x-regex: user-42x (regex must match the whole value)', at({ 'x-regex': 'user-42x' }), 'v1'],
      ['x-present: anything', at({ 'x-present': 'anything' }), 'v3'],
    ]);
  });
});

describe('withoutHeaders', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: without-headers
spec:
  hosts: [without.test]
  gateways: [edge]
  http:
    - match:
        - withoutHeaders: { x-internal: {} }
      route: [{ destination: { host: reviews, subset: v1 } }]
    - match:
        - withoutHeaders: { x-tier: { exact: gold } }
      route: [{ destination: { host: reviews, subset: v2 } }]
    - route: [{ destination: { host: reviews, subset: v3 } }]
`);

  it('matches requests that lack the header, or whose value does not match', async () => {
    const at = (headers: Record<string, string>) => mesh.at('without.test', '/', { headers });
    await expectRoutes([
      ['no x-internal', at({}), 'v1'],
      ['x-internal, x-tier: silver', at({ 'x-internal': '1', 'x-tier': 'silver' }), 'v2'],
      ['x-internal, x-tier: gold', at({ 'x-internal': '1', 'x-tier': 'gold' }), 'v3'],
    ]);
  });
});

describe('uri matching', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: uri
spec:
  hosts: [uri.test]
  gateways: [edge]
  http:
    - match: [{ uri: { exact: /exact } }]
      route: [{ destination: { host: reviews, subset: v1 } }]
    - match: [{ uri: { prefix: /prefix } }]
      route: [{ destination: { host: reviews, subset: v2 } }]
    - match: [{ uri: { regex: "/items/[0-9]+" } }]
      route: [{ destination: { host: reviews, subset: v3 } }]
    - match: [{ uri: { prefix: /caseless }, ignoreUriCase: true }]
      route: [{ destination: { host: reviews, subset: v1 } }]
`);

  it('routes on exact, prefix and regex paths; anything else is 404', async () => {
    const at = (path: string) => mesh.at('uri.test', path);
    await expectRoutes([
      ['/exact', at('/exact'), 'v1'],
      ['/exact?q=1 (query is not part of the path)', at('/exact?q=1'), 'v1'],
      ['/exact/more', at('/exact/more'), 'none', 404],
      ['/prefix/deeper', at('/prefix/deeper'), 'v2'],
      ['/items/42', at('/items/42'), 'v3'],
      ['/items/42/reviews (regex must match the whole path)', at('/items/42/reviews'), 'none', 404],
      ['/EXACT (case-sensitive)', at('/EXACT'), 'none', 404],
    ]);
  });

  it('ignores case when ignoreUriCase is set', async () => {
    await expectRoutes([['/CaseLess/Page', mesh.at('uri.test', '/CaseLess/Page'), 'v1']]);
  });
});

describe('queryParams and method matching', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: query-method
spec:
  hosts: [query.test]
  gateways: [edge]
  http:
    - match: [{ queryParams: { tier: { exact: gold } } }]
      route: [{ destination: { host: reviews, subset: v2 } }]
    - match: [{ queryParams: { id: { regex: "[0-9]+" } } }]
      route: [{ destination: { host: reviews, subset: v3 } }]
    - match: [{ method: { exact: POST }, uri: { prefix: /orders } }]
      route: [{ destination: { host: reviews, subset: v2 } }]
    - route: [{ destination: { host: reviews, subset: v1 } }]
`);

  it('routes on query parameters (exact and regex)', async () => {
    const at = (path: string) => mesh.at('query.test', path);
    await expectRoutes([
      ['?tier=gold', at('/?tier=gold'), 'v2'],
      ['?tier=silver', at('/?tier=silver'), 'v1'],
      ['?x=1&tier=gold', at('/list?x=1&tier=gold'), 'v2'],
      ['?id=123', at('/?id=123'), 'v3'],
      ['?id=12a', at('/?id=12a'), 'v1'],
    ]);
  });

  it('routes on method, and all conditions of one match must hold', async () => {
    await expectRoutes([
      ['POST /orders', mesh.at('query.test', '/orders', { method: 'POST' }), 'v2'],
      ['GET /orders', mesh.at('query.test', '/orders'), 'v1'],
      ['POST /other', mesh.at('query.test', '/other', { method: 'POST' }), 'v1'],
    ]);
  });
});

describe('tcp route through the gateway', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: tcp-edge
spec:
  servers:
    - port: { number: 31400, name: tcp, protocol: TCP }
      hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: db
spec:
  hosts: ["*"]
  gateways: [tcp-edge]
  tcp:
    - match: [{ port: 31400 }]
      route: [{ destination: { host: db, port: { number: 5432 } } }]
`);

  it('forwards the bytes of a connection on the TCP server port to the service', async () => {
    // db's app is an HTTP server; through tcp_proxy that is just bytes, and the reply names it.
    const response = await send({ port: mesh.running.addressing.gatewayPort(31400), path: '/query' });
    expect(response.reply, `${response.status} ${response.error ?? response.body}`).toMatchObject({ service: 'db', path: '/query' });
  });
});
