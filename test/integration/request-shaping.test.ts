// What a route does to a request besides choosing where it goes: rewrite, redirect, header
// operations, direct responses, CORS and mirroring. One gateway Envoy for the file; each feature has its own host.
import { describe, expect, it } from 'vitest';
import { EDGE_GATEWAY, meshYaml, subsetsRule, useMesh } from '../helpers/mesh.ts';
import { binomialCheck, send, sendMany } from '../helpers/traffic.ts';
import type { Upstream } from '../helpers/upstream.ts';

const mesh = useMesh([
  meshYaml({ web: 'v1 v2' }),
  EDGE_GATEWAY,
  subsetsRule('web', 'v1 v2'),
]);

describe('rewrite', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: rewrite
spec:
  hosts: [rewrite.test]
  gateways: [edge]
  http:
    - match: [{ uri: { prefix: /old } }]
      rewrite: { uri: /new, authority: rewritten.test }
      route: [{ destination: { host: web, subset: v1 } }]
    - match: [{ uri: { prefix: /users/ } }]
      rewrite: { uriRegexRewrite: { match: '^/users/([0-9]+)$', rewrite: '/profiles/\\1' } }
      route: [{ destination: { host: web, subset: v1 } }]
`);

  it('replaces the matched prefix and the authority before the app sees the request', async () => {
    const response = await send(mesh.at('rewrite.test', '/old/page?x=1'));
    expect(response.status, response.body).toBe(200);
    expect(response.reply?.path).toBe('/new/page?x=1');
    expect(response.reply?.headers.host).toBe('rewritten.test');
  });

  it('rewrites the path with a regex and its capture groups', async () => {
    const response = await send(mesh.at('rewrite.test', '/users/42'));
    expect(response.status, response.body).toBe(200);
    expect(response.reply?.path).toBe('/profiles/42');
  });
});

describe('redirect', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: redirect
spec:
  hosts: [redirect.test]
  gateways: [edge]
  http:
    - match: [{ uri: { exact: /moved } }]
      redirect: { uri: /new-home, authority: other.test, redirectCode: 302 }
    - match: [{ uri: { exact: /renamed } }]
      redirect: { uri: /new-name }
`);

  it('answers with the status and Location, without calling the app', async () => {
    const moved = await send(mesh.at('redirect.test', '/moved'));
    expect({ status: moved.status, location: moved.headers.location }).toEqual({
      status: 302,
      location: 'http://other.test/new-home',
    });
    const renamed = await send(mesh.at('redirect.test', '/renamed'));
    expect({ status: renamed.status, location: renamed.headers.location }, 'redirectCode defaults to 301').toEqual({
      status: 301,
      location: 'http://redirect.test/new-name',
    });
    expect(mesh.running.upstream('web', 'v1').received.length).toBe(0);
  });
});

describe('header operations', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: headers
spec:
  hosts: [headers.test]
  gateways: [edge]
  http:
    - route:
        - destination: { host: web, subset: v1 }
          headers:
            request: { set: { x-destination: web-v1 } }
            response: { set: { x-served-by: web-v1 } }
      headers:
        request:
          set: { x-set: one }
          add: { x-added: two }
          remove: [x-remove-me]
        response:
          set: { x-response-set: three }
          add: { x-response-added: four }
          remove: [x-upstream]
`);

  it('sets, adds and removes request headers on the way to the app', async () => {
    const response = await send(
      mesh.at('headers.test', '/', { headers: { 'x-set': 'original', 'x-added': 'first', 'x-remove-me': 'yes' } }),
    );
    const seen = response.reply?.headers ?? {};
    expect({
      set: seen['x-set'],
      added: seen['x-added'],
      removed: seen['x-remove-me'],
      perDestination: seen['x-destination'],
    }).toEqual({ set: 'one', added: 'first, two', removed: undefined, perDestination: 'web-v1' });
  });

  it('sets, adds and removes response headers on the way back', async () => {
    const response = await send(mesh.at('headers.test'));
    expect({
      set: response.headers['x-response-set'],
      added: response.headers['x-response-added'],
      removed: response.headers['x-upstream'],
      perDestination: response.headers['x-served-by'],
    }).toEqual({ set: 'three', added: 'four', removed: undefined, perDestination: 'web-v1' });
  });
});

describe('direct response', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: direct
spec:
  hosts: [direct.test]
  gateways: [edge]
  http:
    - directResponse: { status: 503, body: { string: "down for maintenance" } }
`);

  it('answers with the given status and body without calling the app', async () => {
    const response = await send(mesh.at('direct.test'));
    expect({ status: response.status, body: response.body }).toEqual({ status: 503, body: 'down for maintenance' });
    expect(mesh.running.upstream('web', 'v1').received.length).toBe(0);
  });
});

describe('CORS', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: cors
spec:
  hosts: [cors.test]
  gateways: [edge]
  http:
    - route: [{ destination: { host: web, subset: v1 } }]
      corsPolicy:
        allowOrigins: [{ exact: "https://app.example" }]
        allowMethods: [GET, POST]
        allowHeaders: [x-custom]
        maxAge: 24h
`);
  const preflight = (origin: string) =>
    send(mesh.at('cors.test', '/api', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } }));

  it('answers a preflight from an allowed origin', async () => {
    const response = await preflight('https://app.example');
    expect(response.status, response.body).toBe(200);
    expect({
      origin: response.headers['access-control-allow-origin'],
      methods: response.headers['access-control-allow-methods'],
      headers: response.headers['access-control-allow-headers'],
      maxAge: response.headers['access-control-max-age'],
    }).toEqual({ origin: 'https://app.example', methods: 'GET,POST', headers: 'x-custom', maxAge: '86400' });
  });

  it('does not allow another origin', async () => {
    const response = await preflight('https://evil.example');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('mirroring', () => {
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: mirror
spec:
  hosts: [mirror.test, mirror-half.test]
  gateways: [edge]
  http:
    - match: [{ authority: { exact: mirror.test } }]
      route: [{ destination: { host: web, subset: v1 } }]
      mirror: { host: web, subset: v2 }
    - route: [{ destination: { host: web, subset: v1 } }]
      mirror: { host: web, subset: v2 }
      mirrorPercentage: { value: 50 }
`);
  const v2 = () => mesh.running.upstream('web', 'v2');

  it('copies every request to the mirror; the client only sees the primary', async () => {
    const tally = await sendMany(20, mesh.at('mirror.test', '/copied'));
    expect(tally.byVersion, tally.summary).toEqual({ v1: 20 });
    await settled(v2());
    expect(v2().received.length, 'copies received by web v2').toBe(20);
    expect(v2().received[0]).toMatchObject({ path: '/copied', headers: { host: 'mirror.test-shadow' } });
  });

  it('copies about half of the requests with mirrorPercentage 50', async () => {
    const tally = await sendMany(400, mesh.at('mirror-half.test'));
    expect(tally.byVersion, tally.summary).toEqual({ v1: 400 });
    await settled(v2());
    const check = binomialCheck(v2().received.length, 400, 0.5);
    expect(check.ok, `copies received by web v2: ${check.message}`).toBe(true);
  });
});

/** Waits until an upstream has received nothing new for 100 ms (mirrored copies arrive on their own). */
async function settled(upstream: Upstream): Promise<void> {
  let last = -1;
  while (upstream.received.length !== last) {
    last = upstream.received.length;
    await new Promise((r) => setTimeout(r, 100));
  }
}
