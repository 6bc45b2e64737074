// The offline route evaluator (compile/route-eval.ts, as `mesh test` uses it) against real Envoy:
// random meshes (gateway and mesh VirtualServices with random matches and actions), compiled,
// run as the gateway and one sidecar on static bootstraps with upstream stubs behind every
// cluster, and random requests sent through both. For each request the offline decision must be
// what Envoy did: the same status, the same cluster (Envoy names it in a response header added
// at the route configuration's level, which no route overrides), the same route, the path and
// Host the upstream received, the redirect's Location, the direct response's body.
// FC_RUNS=N meshes (default 80), REQUESTS_PER_MESH requests each through each proxy.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { GATEWAY_PROXY } from '../../src/config/names.ts';
import { compileMesh } from '../../src/compile/index.ts';
import { staticBootstrap } from '../../src/compile/static-config.ts';
import type { EnvoyJson, ProxySnapshot } from '../../src/envoy/snapshot.ts';
import { decide, probes, type Decision } from '../../src/routetest/verdict.ts';
import { startEnvoy, type EnvoyProcess } from '../helpers/envoy.ts';
import { meshYaml, startUpstreams, testAddressing, testModel } from '../helpers/mesh.ts';
import { freePorts } from '../helpers/ports.ts';
import { send } from '../helpers/traffic.ts';
import type { Upstream } from '../helpers/upstream.ts';

const RUNS = Number(process.env['FC_RUNS'] ?? 80);
const REQUESTS_PER_MESH = 16;
const SIDECAR = 'a-v1';

// ---------- random meshes ----------

const stringMatch = (values: { exact: string[]; prefix: string[]; regex: string[] }) =>
  fc.oneof(
    fc.constantFrom(...values.exact).map((exact) => ({ exact })),
    fc.constantFrom(...values.prefix).map((prefix) => ({ prefix })),
    fc.constantFrom(...values.regex).map((regex) => ({ regex })),
  );

const uri = stringMatch({ exact: ['/', '/api', '/web/x', '/items'], prefix: ['/', '/api', '/API', '/web', '/items?q'], regex: ['/api/.*', '/v[0-9]+', '(?i)/web.*', '/items'] });
const userMatch = fc.oneof(stringMatch({ exact: ['tester', 'Tester'], prefix: ['test', 'adm'], regex: ['test.*', '[a-z]+-[0-9]'] }), fc.constant({}));
const queryMatch = fc.oneof(stringMatch({ exact: ['1', '2'], prefix: ['1'], regex: ['[0-9]+'] }), fc.constant({}));

const match = fc
  .record(
    {
      uri,
      ignoreUriCase: fc.boolean(),
      headers: fc.record({ 'x-user': userMatch }),
      withoutHeaders: fc.record({ 'x-beta': fc.constant({}) }),
      queryParams: fc.record({ q: queryMatch }),
      method: fc.constantFrom({ exact: 'GET' }, { exact: 'POST' }),
      authority: stringMatch({ exact: ['shop.example.com', 'a:9080'], prefix: ['shop', 'b'], regex: ['.*example.*', 'c'] }),
    },
    { requiredKeys: [] },
  );

const destination = fc.record({ host: fc.constantFrom('a', 'b', 'c'), subset: fc.constantFrom(undefined, 'v1', 'v2') }).map((d) => (d.subset ? d : { host: d.host }));

const action = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    route: fc.oneof(
      destination.map((d) => [{ destination: d }]),
      fc.tuple(destination, destination, fc.constantFrom(0, 30, 50, 100)).map(([x, y, w]) => [{ destination: x, weight: w }, { destination: y, weight: 100 - w }]),
    ),
    rewrite: fc.option(
      fc.oneof(
        fc.record({ uri: fc.constantFrom('/', '/new', '/v2/'), authority: fc.constantFrom('rewritten.example', undefined) }),
        fc.record({ uriRegexRewrite: fc.constantFrom({ match: '/v([0-9]+)', rewrite: '/version/\\1' }, { match: '^/(.*)$', rewrite: '/prefixed/\\1' }) }),
      ),
      { nil: undefined },
    ),
    headers: fc.option(fc.constantFrom({ request: { set: { 'x-set': 'yes' } } }, { response: { set: { 'x-resp': 'route' } } }), { nil: undefined }),
    fault: fc.option(fc.record({ abort: fc.record({ httpStatus: fc.constantFrom(418, 503), percentage: fc.constant({ value: 100 }) }) }), { nil: undefined, freq: 4 }),
  }) },
  { weight: 1, arbitrary: fc.record({ redirect: fc.oneof(fc.constant({ uri: '/moved' }), fc.constant({ authority: 'new.example.com', redirectCode: 302 }), fc.constant({ uri: '/x', scheme: 'https', port: 8443 })) }) },
  { weight: 1, arbitrary: fc.record({ directResponse: fc.record({ status: fc.constantFrom(200, 403, 503), body: fc.constant({ string: 'direct' }) }) }) },
);

const httpRoutes = fc.array(fc.record({ match: fc.option(fc.array(match, { minLength: 1, maxLength: 2 }), { nil: undefined }), action }), { minLength: 1, maxLength: 4 }).map((routes) =>
  routes.map((r, i) => JSON.parse(JSON.stringify({ name: `r${i}`, ...(r.match ? { match: r.match } : {}), ...r.action }))),
);

const meshArb = fc.record({
  // Hosts of one VirtualService may not overlap (Istio's validation).
  gatewayHosts: fc.constantFrom(['*'], ['shop.example.com'], ['*.example.com'], ['shop.example.com', 'api.example.com'], ['*.example.com', 'other.org']),
  gatewayRoutes: httpRoutes,
  aRoutes: fc.option(httpRoutes, { nil: undefined }),
  bRoutes: fc.option(httpRoutes, { nil: undefined }),
  cRoutes: fc.option(httpRoutes, { nil: undefined }),
});

type MeshSpec = typeof meshArb extends fc.Arbitrary<infer T> ? T : never;

const doc = (value: unknown) => JSON.stringify(value);

function meshFiles(spec: MeshSpec): string[] {
  const subsets = [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }];
  const files = [
    meshYaml({ a: 'v1 v2', b: 'v1 v2', c: { versions: 'v1 v2', port: 80 } }),
    doc({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw' }, spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } }),
    doc({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'edge' }, spec: { hosts: spec.gatewayHosts, gateways: ['gw'], http: spec.gatewayRoutes } }),
    ...['a', 'b', 'c'].map((host) => doc({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: host }, spec: { host, subsets } })),
  ];
  for (const [host, http] of [['a', spec.aRoutes], ['b', spec.bRoutes], ['c', spec.cRoutes]] as const) {
    if (http) files.push(doc({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: `in-${host}` }, spec: { hosts: [host], http } }));
  }
  return files;
}

// ---------- random requests ----------

const requestArb = fc.record({
  source: fc.constantFrom('gateway', SIDECAR),
  gatewayHost: fc.constantFrom('shop.example.com', 'api.example.com', 'Shop.Example.com:8080', 'other.org'),
  sidecarHost: fc.constantFrom('a', 'b', 'a.default', 'b.default.svc.cluster.local', 'c', 'c.default', 'd'),
  path: fc.constantFrom('/', '/api', '/api/v1?x=1', '/API/v1', '/web', '/WEB/x', '/web/x', '/items', '/Items', '/items?q=1', '/items?q=2&q=1', '/items?q=%31', '/v12', '/v1/v2?x=/v3', '/new?q=11', '/api/../web', '//api', '/web%2Fx', '/items#frag'),
  method: fc.constantFrom('GET', 'POST'),
  user: fc.constantFrom(undefined, 'tester', 'Tester', 'test-1', 'admin'),
  beta: fc.boolean(),
});

type RequestSpec = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

// ---------- running Envoy ----------

/** The proxy's static bootstrap, each route configuration naming the cluster and route Envoy chose. */
function observedBootstrap(snapshot: ProxySnapshot): EnvoyJson {
  const routes = snapshot.routes.map((r) => ({
    ...r,
    value: {
      ...r.value,
      response_headers_to_add: [
        { header: { key: 'x-observed-cluster', value: '%UPSTREAM_CLUSTER%' } },
        { header: { key: 'x-observed-route', value: '%ROUTE_NAME%' } },
      ],
    },
  }));
  return staticBootstrap({ ...snapshot, routes }, { adminPort: 0 });
}

interface Observed {
  status: number;
  cluster: string;
  route: string;
  location?: string;
  body: string;
  path?: string;
  host?: string;
  /** The x-set request header the upstream received. */
  set?: string;
  /** The x-resp response header. */
  resp?: string;
}

/** Where Envoy's decision and the offline one differ; undefined when they agree. */
function difference(offline: Decision, envoy: Observed): string | undefined {
  const is = (ok: boolean, what: string) => (ok ? undefined : what);
  const resp = 'headers' in offline ? offline.headers.responseAdd.find((h) => h.key === 'x-resp')?.value : undefined;
  if (envoy.resp !== resp) return `offline x-resp ${resp}`;
  switch (offline.kind) {
    case 'no-listener':
      return 'offline: no listener';
    case 'rejected':
      return is(envoy.status === offline.status && !envoy.route, `offline rejected ${offline.status}`);
    case 'no-virtual-host':
    case 'no-route':
      return is(envoy.status === 404 && !envoy.cluster && !envoy.route, `offline ${offline.kind}`);
    case 'direct':
      return is(envoy.status === offline.status && envoy.body === (offline.body ?? '') && envoy.route === offline.route, `offline direct ${offline.status}`);
    case 'redirect':
      return is(envoy.status === offline.status && envoy.location === offline.location && envoy.route === offline.route, `offline redirect ${offline.status} ${offline.location}`);
    case 'forward': {
      if (envoy.route !== offline.route) return `offline route ${offline.route}`;
      const abort = offline.fault?.abort;
      if (abort && abort.percent >= 100) return is(envoy.status === abort.httpStatus, `offline abort ${abort.httpStatus}`);
      const target = offline.targets.find((t) => t.cluster === envoy.cluster);
      if (!target) return `offline clusters ${offline.targets.map((t) => t.cluster).join(', ')}`;
      // Out of the mesh (ALLOW_ANY): the sidecar resolves the name the app asked for itself (its
      // dynamic forward proxy); whether it answers depends on the name, not on the routes.
      if (target.cluster === 'PassthroughCluster') return undefined;
      return (
        is(envoy.status === 200, 'offline: forwarded (200 from the stub)') ??
        is(envoy.path === offline.path, `offline path ${offline.path}`) ??
        is(envoy.host === target.authority, `offline host ${target.authority}`) ??
        is(envoy.set === [...offline.headers.requestAdd, ...target.headers.requestAdd].find((h) => h.key === 'x-set')?.value, 'offline x-set')
      );
    }
  }
}

interface Started {
  envoys: EnvoyProcess[];
  upstreams: Map<string, Upstream>;
}
const started: Started[] = [];
async function stopAll(s: Started): Promise<void> {
  await Promise.all(s.envoys.map((e) => e.stop()));
  await Promise.all([...s.upstreams.values()].map((u) => u.close()));
}
afterAll(async () => {
  await Promise.all(started.map(stopAll));
});

let compared = 0;
/** How many requests ended each way (a property that only ever saw 404s would prove little). */
const kinds = new Map<string, number>();

describe('offline route evaluation agrees with Envoy (property)', () => {
  it('same status, cluster, route, upstream path and Host, Location and body for random meshes and requests', async () => {
    await fc.assert(
      fc.asyncProperty(meshArb, fc.array(requestArb, { minLength: REQUESTS_PER_MESH, maxLength: REQUESTS_PER_MESH }), async (spec, requests) => {
        const files = meshFiles(spec);
        const model = testModel(files);
        const run: Started = { envoys: [], upstreams: await startUpstreams(model) };
        started.push(run);
        try {
          const addressing = testAddressing(model, run.upstreams, new Set(), await freePorts(24));
          const compiled = compileMesh(model, addressing);
          const snapshot = (proxy: string) => compiled.snapshots.find((s) => s.proxy === proxy)!;
          run.envoys = await Promise.all([GATEWAY_PROXY, SIDECAR].map((p) => startEnvoy(p, observedBootstrap(snapshot(p)))));
          for (const r of requests) {
            const headers: Record<string, string> = { ...(r.user ? { 'x-user': r.user } : {}), ...(r.beta ? { 'x-beta': '1' } : {}) };
            const host = r.source === 'gateway' ? r.gatewayHost : r.sidecarHost;
            const found = probes(model, { source: r.source === 'gateway' ? 'gateway' : 'a/v1', host, path: r.path, method: r.method, headers });
            if (!Array.isArray(found)) throw new Error(found.problem);
            const probe = found[0]!;
            const offline = decide(compiled, probe);
            const viaSidecar = r.source !== 'gateway';
            const port = viaSidecar ? addressing.outboundPort(SIDECAR) : addressing.gatewayPort(80);
            const res = await send({
              port,
              path: viaSidecar ? `http://${probe.request.authority}${probe.request.path}` : probe.request.path,
              method: r.method,
              headers: { ...headers, host: probe.request.authority },
            });
            const header = (name: string) => {
              const v = res.headers[name];
              return typeof v === 'string' && v !== '-' ? v : '';
            };
            const observed: Observed = {
              status: res.status,
              cluster: header('x-observed-cluster'),
              route: header('x-observed-route'),
              body: res.body,
              ...(res.headers.location ? { location: res.headers.location } : {}),
              ...(res.reply ? { path: res.reply.path, host: String(res.reply.headers.host) } : {}),
              ...(typeof res.reply?.headers['x-set'] === 'string' ? { set: res.reply.headers['x-set'] } : {}),
              ...(typeof res.headers['x-resp'] === 'string' ? { resp: res.headers['x-resp'] } : {}),
            };
            const diff = difference(offline, observed);
            if (diff) {
              throw new Error(
                `${r.source} ${r.method} ${probe.request.authority}${probe.request.path} ${JSON.stringify(headers)}: ${diff}; Envoy: ${JSON.stringify(observed)}\n` +
                  `offline: ${JSON.stringify(offline)}\nmesh:\n${files.slice(2).join('\n')}`,
              );
            }
            compared++;
            const kind = offline.kind === 'forward' ? (offline.fault?.abort ? 'abort' : offline.targets.length > 1 ? 'split' : 'forward') : offline.kind;
            kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          }
        } finally {
          await stopAll(run);
          started.splice(started.indexOf(run), 1);
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(compared).toBe(RUNS * REQUESTS_PER_MESH);
    const shown = [...kinds].sort().map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`route evaluation: ${compared} requests in ${RUNS} random meshes, offline = Envoy for every one (${shown})`);
    for (const kind of ['forward', 'redirect', 'direct', 'no-route', 'no-virtual-host']) expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(0);
  }, 60_000);
});
