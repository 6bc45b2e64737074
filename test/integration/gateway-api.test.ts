// Gateway API routes through real Envoys, on Istio's bookinfo manifests unmodified (bookinfo.yaml,
// bookinfo-versions.yaml and the Gateway API bookinfo-gateway.yaml): a canary by HTTPRoute weights
// through the gateway, the GAMMA 90/10 route of Istio's traffic-shifting task from productpage's
// sidecar, and `mesh weight` editing an HTTPRoute's weights in its file, after which the proxies
// split as the file now says. Test servers stand in for bookinfo's images, one per Deployment.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startMesh, useMesh } from '../helpers/mesh.ts';
import { runProgram } from '../helpers/run.ts';
import { binomialCheck, send, sendMany, type Request } from '../helpers/traffic.ts';

const FIXTURES = 'test/fixtures/istio';
const BOOKINFO = ['bookinfo/bookinfo.yaml', 'gateway-api/bookinfo/bookinfo-versions.yaml', 'gateway-api/bookinfo/bookinfo-gateway.yaml'];
const read = (path: string) => readFileSync(`${FIXTURES}/${path}`, 'utf8');

/** A canary of reviews behind the Gateway API gateway, as a user writes one: 80/20 by backendRef weights. */
const CANARY = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: reviews-canary
spec:
  parentRefs:
  - name: bookinfo-gateway
  rules:
  - matches:
    - path: {type: PathPrefix, value: /reviews}
    backendRefs:
    - {name: reviews-v1, port: 9080, weight: 80}
    - {name: reviews-v2, port: 9080, weight: 20}
`;

/** Filters, on a host of their own: a prefix taken off, a header set, a redirect, a 500 without backends. */
const FILTERS = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: filters
spec:
  parentRefs:
  - name: bookinfo-gateway
  hostnames: [filters.example]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /ratings}
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-route, value: gateway-api}]}
    - type: ResponseHeaderModifier
      responseHeaderModifier: {add: [{name: x-served-by, value: httproute}]}
    backendRefs:
    - {name: ratings, port: 9080}
  - matches:
    - path: {type: Exact, value: /old}
    filters:
    - type: RequestRedirect
      requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /ratings/1}, statusCode: 301}
  - matches:
    - path: {type: Exact, value: /nothing}
`;

const mesh = useMesh([...BOOKINFO.map(read), read('gateway-api/bookinfo/route-reviews-90-10.yaml'), CANARY, FILTERS], { sidecars: ['productpage-v1'] });

describe('Gateway API routes through real Envoys', () => {
  it('the gateway serves bookinfo\'s HTTPRoute: /productpage to productpage, /productpagex nowhere', async () => {
    const page = await send(mesh.at('localhost', '/productpage'));
    expect(page.status, page.body).toBe(200);
    expect(page.reply).toMatchObject({ service: 'productpage', version: 'v1', path: '/productpage' });
    expect((await send(mesh.at('localhost', '/static/x.css'))).reply).toMatchObject({ service: 'productpage' });
    expect((await send(mesh.at('localhost', '/productpagex'))).status).toBe(404);
  });

  it('filters: the prefix taken off, a request and a response header, a redirect, a 500 for a rule without backends', async () => {
    for (const [path, upstream] of [['/ratings/7?x=1', '/7?x=1'], ['/ratings', '/'], ['/ratings/', '/']] as const) {
      const r = await send(mesh.at('filters.example', path));
      expect(r.status, r.body).toBe(200);
      expect(r.reply).toMatchObject({ service: 'ratings', path: upstream });
      expect(r.reply?.headers['x-route']).toBe('gateway-api');
      expect(r.headers['x-served-by']).toBe('httproute');
    }
    expect((await send(mesh.at('filters.example', '/ratingsx'))).status).toBe(404);
    const redirect = await send(mesh.at('filters.example', '/old'));
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('http://filters.example/ratings/1');
    expect((await send(mesh.at('filters.example', '/nothing'))).status).toBe(500);
  });

  it('a canary by HTTPRoute weights through the gateway: 20% to reviews-v2, within binomial bounds', async () => {
    const tally = await sendMany(1000, mesh.at('localhost', '/reviews/1'));
    expect(tally.byStatus, tally.summary).toEqual({ 200: 1000 });
    expect(tally.byVersion.v3 ?? 0, tally.summary).toBe(0);
    const check = binomialCheck(tally.byVersion.v2 ?? 0, 1000, 0.2);
    expect(check.ok, `v2 share: ${check.message}; ${tally.summary}`).toBe(true);
  });

  it("GAMMA: productpage's calls to reviews split 90/10 by Istio's route-reviews-90-10.yaml", async () => {
    const toReviews: Request = { port: mesh.running.addressing.outboundPort('productpage-v1'), path: '/reviews/0', headers: { host: 'reviews:9080' } };
    const tally = await sendMany(1000, toReviews);
    expect(tally.byStatus, tally.summary).toEqual({ 200: 1000 });
    expect(tally.byVersion.v3 ?? 0, tally.summary).toBe(0);
    const check = binomialCheck(tally.byVersion.v2 ?? 0, 1000, 0.1);
    expect(check.ok, `v2 share: ${check.message}; ${tally.summary}`).toBe(true);
  });

  it("productpage's calls to the version Service reviews-v3 all reach reviews v3", async () => {
    const tally = await sendMany(200, { port: mesh.running.addressing.outboundPort('productpage-v1'), path: '/', headers: { host: 'reviews-v3:9080' } });
    expect(tally.byStatus, tally.summary).toEqual({ 200: 200 });
    expect(tally.byVersion, tally.summary).toEqual({ v3: 200 });
  });
});

describe('mesh weight on an HTTPRoute', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('rewrites the weights in the HTTPRoute file, and the gateway then splits 50/50', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gwapi-weight-'));
    dirs.push(dir);
    for (const f of BOOKINFO) await cp(`${FIXTURES}/${f}`, join(dir, f.split('/').pop()!));
    const route = join(dir, 'reviews-canary.yaml');
    await writeFile(route, CANARY);
    const run = await runProgram('./mesh', ['weight', dir, 'reviews', 'reviews-v1=50', 'reviews-v2=50']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain('HTTPRoute reviews-canary');
    expect(run.stdout).toContain('reviews-v1 80 → 50, reviews-v2 20 → 50');
    const edited = await readFile(route, 'utf8');
    expect(edited).toBe(CANARY.replace('weight: 80', 'weight: 50').replace('weight: 20', 'weight: 50'));

    const files = await Promise.all([...BOOKINFO.map((f) => readFile(join(dir, f.split('/').pop()!), 'utf8')), Promise.resolve(edited)]);
    const running = await startMesh(files);
    try {
      const port = running.addressing.gatewayPort(80);
      const tally = await sendMany(1000, { port, path: '/reviews/1', headers: { host: 'localhost' } });
      expect(tally.byStatus, tally.summary).toEqual({ 200: 1000 });
      const check = binomialCheck(tally.byVersion.v2 ?? 0, 1000, 0.5);
      expect(check.ok, `v2 share: ${check.message}; ${tally.summary}`).toBe(true);
    } finally {
      await running.stop();
    }
  });
});
