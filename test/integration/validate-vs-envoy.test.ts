// `mesh validate` never accepts what Envoy refuses. Random meshes within the schema (ports,
// durations, weights, retries, outlier detection, consistent hashing with maglev table sizes,
// connection pools, fault percentages, direct responses, redirects, header operations, rewrites,
// CORS, Gateway ports and protocols), values drawn around the bounds Istio and Envoy set, go
// through mesh validate's logic (the config checks, then the compile against Envoy's protos and
// validation rules). Every mesh it accepts is compiled as `mesh generate` does and given to the
// real `envoy --mode validate`: a refusal fails the test with the mesh that caused it.
//
// Batched: each mesh holds several tenants (a service with its own DestinationRule, VirtualService
// and Gateway server), and one Envoy run of a sidecar sees every tenant's clusters and routes;
// the gateway's run sees every server. Fixed seed; FC_SEED and FC_RUNS choose others.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composeAddressing, CAPTURE_PORTS } from '../../src/compile/addressing.ts';
import { compileChecked } from '../../src/compile/refusal.ts';
import { staticBootstrap } from '../../src/compile/static-config.ts';
import { hasErrors } from '../../src/config/diagnostics.ts';
import { loadMeshFromSources } from '../../src/config/index.ts';
import { validateConfig } from '../helpers/envoy.ts';

const SEED = Number(process.env.FC_SEED ?? 20261201);
const RUNS = Number(process.env.FC_RUNS ?? 150);
const TENANTS = 3;

/** Mostly values inside the bounds, sometimes one at or past them: a mesh needs all its values right to reach Envoy. */
const around = <T>(inside: fc.Arbitrary<T>, edges: fc.Arbitrary<T>, weight = 40) => fc.oneof({ weight, arbitrary: inside }, { weight: 1, arbitrary: edges });
const duration = around(fc.constantFrom('1ms', '10ms', '100ms', '1.5s', '2s', '1h'), fc.constantFrom('0s', '0.5ms', '999ns', '1000001us'));
const count = around(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(-1, 101, 150, 65537, 2147483647, 4294967295));
const percentInt = around(fc.integer({ min: 0, max: 100 }), fc.constantFrom(-1, 101, 150));
const percent = around(fc.constantFrom(0, 0.5, 50, 100), fc.constantFrom(-1, 0.00001, 101));
const status = around(fc.constantFrom(200, 204, 404, 503, 599), fc.constantFrom(99, 100, 199, 600, 9000));
const headerName = around(fc.constantFrom('x-a', 'x-b', 'x-request-id'), fc.constantFrom('host', ':path', ':authority', '', 'bad name'));
const headerValue = around(fc.constantFrom('v', '50%%', '%HOSTNAME%', 'a b'), fc.constantFrom('abc%1', 'a\tb', 'x\ny'));
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const headerMap = fc.dictionary(headerName, headerValue, { maxKeys: 2 });

const loadBalancer = fc.oneof(
  fc.record({ simple: fc.constantFrom('ROUND_ROBIN', 'LEAST_REQUEST', 'LEAST_CONN', 'RANDOM') }),
  fc.record({
    consistentHash: fc.tuple(
      fc.oneof(
        fc.constant({ httpHeaderName: 'x-user' }),
        fc.record({ httpCookie: fc.record({ name: around(fc.constant('session'), fc.constant('')), ttl: fc.constantFrom('0s', '10s', '1h') }) }),
        fc.constant({ useSourceIp: true }),
        fc.constant({ httpQueryParameterName: 'q' }),
      ),
      fc.oneof(
        fc.constant({}),
        fc.record({ ringHash: fc.record({ minimumRingSize: around(fc.constantFrom(1, 1024, 8388608), fc.constantFrom(0, 8388609)) }) }),
        fc.record({ maglev: fc.record({ tableSize: around(fc.constantFrom(3, 65537, 131071, 4999999), fc.constantFrom(0, 1000, 5000011, 6000000), 3) }) }),
      ),
    ).map(([key, algorithm]) => ({ ...key, ...algorithm })),
  }),
);

const trafficPolicy = fc.record(
  {
    loadBalancer,
    connectionPool: fc.record(
      {
        tcp: fc.record({ maxConnections: count, connectTimeout: duration, maxConnectionDuration: duration }, { requiredKeys: [] }),
        http: fc.record(
          { http1MaxPendingRequests: count, http2MaxRequests: count, maxRequestsPerConnection: count, maxRetries: count, idleTimeout: duration, maxConcurrentStreams: count },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    outlierDetection: fc.record(
      { consecutive5xxErrors: count, consecutiveGatewayErrors: count, interval: duration, baseEjectionTime: duration, maxEjectionPercent: percentInt, minHealthPercent: percentInt },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

const action = (host: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.tuple(count, count).map(([a, b]) => ({ route: [{ destination: { host, subset: 'v1' }, weight: a }, { destination: { host, subset: 'v2' }, weight: b }] })) },
    { weight: 1, arbitrary: status.map((s) => ({ directResponse: { status: s, body: { string: 'hi' } } })) },
    { weight: 1, arbitrary: around(fc.constantFrom(301, 302, 308), fc.constantFrom(299, 400)).map((code) => ({ redirect: { uri: '/moved', redirectCode: code } })) },
  );

const httpRoute = (host: string) =>
  fc
    .tuple(
      action(host),
      fc.record(
        {
          match: fc.tuple(around(fc.constantFrom('/', '/a'), fc.constant('')), opt(headerName)).map(([prefix, name]) => [{ uri: { prefix }, ...(name !== undefined ? { headers: { [name]: { exact: 'x' } } } : {}) }]),
          timeout: duration,
          retries: fc.record({ attempts: around(fc.integer({ min: 1, max: 5 }), fc.constantFrom(-1, 0)), perTryTimeout: opt(duration), retryOn: opt(around(fc.constantFrom('5xx', '503,reset', 'gateway-error'), fc.constant('600'))) }).map(dropUndefined),
          fault: fc.record(
            {
              delay: fc.record({ fixedDelay: duration, percentage: percent.map((value) => ({ value })) }),
              abort: fc.record({ httpStatus: status, percentage: percent.map((value) => ({ value })) }),
            },
            { requiredKeys: [] },
          ),
          headers: fc.record({ request: fc.record({ set: headerMap, remove: fc.array(headerName, { maxLength: 2 }) }, { requiredKeys: [] }), response: fc.record({ add: headerMap }, { requiredKeys: [] }) }, { requiredKeys: [] }),
          rewrite: fc.oneof(
            around(fc.constantFrom('/', '/x'), fc.constant('')).map((uri) => ({ uri })),
            fc.constant({ uriRegexRewrite: { match: '^/a(.*)$', rewrite: '/b\\1' } }),
            fc.constant({ authority: 'a.example.com' }),
          ),
          corsPolicy: fc.record({ allowOrigins: fc.constant([{ exact: 'https://a.example.com' }]), allowMethods: around(fc.constant('GET'), fc.constant('PUTT')).map((m) => [m]), maxAge: around(fc.constantFrom('1s', '24h'), fc.constantFrom('1.5s', '0s')) }),
        },
        { requiredKeys: [] },
      ),
    )
    // A redirect or a direct response with a fault or a rewrite is an error; keep that rare.
    .chain(([act, rest]): fc.Arbitrary<object> => {
      if ('route' in act) return fc.constant({ ...rest, ...act });
      const { fault, rewrite, ...others } = rest;
      return around(fc.constant({ ...others, ...act }), fc.constant({ ...rest, ...act }));
    });

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const server = (i: number) =>
  fc.record({ number: around(fc.constantFrom(80 + i, 8080 + i, 65535 - i), fc.constantFrom(0, 70000)), protocol: fc.constantFrom('HTTP', 'http', 'HTTP2') }).map((port) => ({
    port: { ...port, name: `port-${i}` },
    hosts: [`t${i}.example.com`],
  }));

const tenant = (i: number) =>
  fc.record({ policy: opt(trafficPolicy), http: fc.array(httpRoute(`t${i}`), { minLength: 1, maxLength: 2 }), server: server(i) });

const mesh = fc.tuple(...Array.from({ length: TENANTS }, (_, i) => tenant(i)));

const doc = (apiVersion: string, kind: string, name: string, spec: unknown) => JSON.stringify({ apiVersion, kind, metadata: { name }, spec }, null, 1);

function files(tenants: ReadonlyArray<{ policy?: unknown; http: unknown[]; server: unknown }>) {
  const services = Object.fromEntries(tenants.map((_, i) => [`t${i}`, { ports: [{ port: 9080 }], versions: { v1: { image: 'app:1' }, v2: { image: 'app:2' } } }]));
  const docs = [
    doc('localmesh.dev/v1alpha1', 'Mesh', 'random', { services }),
    doc('networking.istio.io/v1', 'Gateway', 'gw', { servers: tenants.map((t) => t.server) }),
    ...tenants.flatMap((t, i) => [
      doc('networking.istio.io/v1', 'DestinationRule', `t${i}`, {
        host: `t${i}`,
        ...(t.policy ? { trafficPolicy: t.policy } : {}),
        subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
      }),
      doc('networking.istio.io/v1', 'VirtualService', `t${i}`, { hosts: [`t${i}`, `t${i}.example.com`], gateways: ['gw', 'mesh'], http: t.http }),
    ]),
  ];
  return [{ path: 'random/mesh.yaml', text: docs.join('\n---\n') }];
}

describe('mesh validate never accepts what Envoy refuses (random meshes, real envoy --mode validate)', () => {
  it(`${RUNS} random meshes of ${TENANTS} tenants (seed ${SEED})`, async () => {
    let accepted = 0;
    const rejected = new Map<string, number>();
    let envoyRuns = 0;
    await fc.assert(
      fc.asyncProperty(mesh, async (tenants) => {
        const sources = files(tenants);
        const { model, diagnostics } = loadMeshFromSources(sources, 'random');
        if (!model || hasErrors(diagnostics)) {
          const first = diagnostics.find((d) => d.severity === 'error')!;
          rejected.set(first.message.replace(/'[^']*'|\d+/g, '…'), (rejected.get(first.message.replace(/'[^']*'|\d+/g, '…')) ?? 0) + 1);
          return;
        }
        const { compiled } = compileChecked(model, composeAddressing(), 'random');
        if (!compiled) return;
        accepted++;
        const proxies = compiled.snapshots.filter((s) => s.proxy === 't0-v1' || s.proxy === 'mesh-gateway');
        envoyRuns += proxies.length;
        try {
          await Promise.all(proxies.map((s) => validateConfig(staticBootstrap(s, { adminPort: CAPTURE_PORTS.admin }))));
        } catch (error) {
          throw new Error(`mesh validate accepted a mesh Envoy refuses:\n${sources[0]!.text}\n\n${(error as Error).message}`);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (process.env.FC_VERBOSE) console.log([...rejected].sort((a, b) => b[1] - a[1]).slice(0, 15));
    console.log(`validate-vs-envoy: ${accepted} of ${RUNS} random meshes accepted, ${envoyRuns} Envoy runs, none refused (seed ${SEED})`);
    // Not vacuous: enough meshes get through validation to reach Envoy.
    expect(accepted).toBeGreaterThanOrEqual(Math.ceil(RUNS / 6));
  }, 120_000);
});
