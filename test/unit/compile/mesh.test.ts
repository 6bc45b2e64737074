// Whole-mesh properties: determinism, sharing between proxies, every resource valid for Envoy's
// protos (random meshes; FC_RUNS=N runs per property, default 60). The real `envoy --mode
// validate` of every proxy's config is in envoy-validate.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServiceModel } from '../../../src/config/model.ts';
import { GATEWAY_PROXY } from '../../../src/config/names.ts';
import { compileMesh, type CompiledMesh } from '../../../src/compile/index.ts';
import { composeAddressing, loopbackAddressing } from '../../../src/compile/addressing.ts';
import { checkResource } from '../../../src/envoy/proto.ts';
import { RESOURCE_KINDS } from '../../../src/envoy/snapshot.ts';
import { ALL_FEATURES as ALL, compile, proxy } from './compile-helpers.ts';


function json(compiled: CompiledMesh): string {
  return JSON.stringify(compiled);
}

describe('compileMesh', () => {
  it('is deterministic: two compilations are deep-equal and JSON-identical', () => {
    for (const kind of ['compose', 'loopback'] as const) {
      const a = compile(ALL, kind);
      const b = compile(ALL, kind);
      expect(a).toEqual(b);
      expect(json(a)).toBe(json(b));
    }
  });

  it('gives a snapshot per service version and the gateway, sorted by proxy id', () => {
    expect(compile(ALL).snapshots.map((s) => s.proxy)).toEqual([
      'db-v1',
      'db-v2',
      GATEWAY_PROXY,
      'productpage-v1',
      'ratings-v1',
      'reviews-v1',
      'reviews-v2',
      'reviews-v3',
    ]);
  });

  it('sidecars share outbound routes, listeners and clusters as the same objects when no sourceLabels are used', () => {
    const c = compile(ALL);
    const a = proxy(c, 'reviews-v1');
    const b = proxy(c, 'productpage-v1');
    expect(a.routes[0]).toBe(b.routes[0]);
    expect(a.listeners.find((l) => l.name === 'outbound')).toBe(b.listeners.find((l) => l.name === 'outbound'));
    const shared = (name: string) => a.clusters.find((x) => x.name === name) === b.clusters.find((x) => x.name === name);
    expect(shared('outbound|9080|v1|reviews.default.svc.cluster.local')).toBe(true);
    // Versions of one service have equal app clusters, so they share the whole list.
    expect(proxy(c, 'reviews-v2').clusters).toBe(a.clusters);
  });

  it('every snapshot is internally consistent: RDS names resolve, EDS clusters have assignments', () => {
    for (const s of compile(ALL, 'loopback').snapshots) {
      const routes = new Set(s.routes.map((r) => r.name));
      for (const l of s.listeners) {
        for (const name of JSON.stringify(l.value).matchAll(/"route_config_name":"([^"]+)"/g)) expect(routes.has(name[1]!)).toBe(true);
      }
      const endpoints = new Set(s.endpoints.map((e) => e.name));
      for (const cl of s.clusters) if (cl.value['type'] === 'EDS') expect(endpoints.has(cl.name)).toBe(true);
    }
  });
});

describe('random meshes (property)', () => {
  const serviceNames = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 4 });
  const meshArb = serviceNames.chain((names) =>
    fc.record({
      services: fc.tuple(
        ...names.map((name) =>
          fc.record({
            name: fc.constant(name),
            versions: fc.uniqueArray(fc.constantFrom('v1', 'v2', 'v3'), { minLength: 1, maxLength: 3 }),
            ports: fc.uniqueArray(fc.record({ port: fc.constantFrom(80, 8080, 9090, 5000), protocol: fc.constantFrom('http', 'http2', 'grpc', 'tcp') }), {
              minLength: 1,
              maxLength: 2,
              selector: (p) => p.port,
            }),
            split: fc.integer({ min: 0, max: 100 }),
            withRule: fc.boolean(),
            lb: fc.constantFrom('ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'hash'),
          }),
        ),
      ),
      capture: fc.boolean(),
    }),
  );

  function yaml(services: { name: string; versions: string[]; ports: { port: number; protocol: string }[]; split: number; withRule: boolean; lb: string }[]): string[] {
    const mesh = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: prop}
spec:
  services:
${services
  .map(
    (s) => `    ${s.name}:
      ports: [${s.ports.map((p) => `{port: ${p.port}, protocol: ${p.protocol}}`).join(', ')}]
      versions: {${s.versions.map((v) => `${v}: {image: x}`).join(', ')}}`,
  )
  .join('\n')}
`;
    const istio = services
      .filter((s) => s.withRule)
      .flatMap((s) => {
        const lb = s.lb === 'hash' ? '{consistentHash: {httpHeaderName: x-user}}' : `{simple: ${s.lb}}`;
        const first = s.versions[0]!;
        const last = s.versions[s.versions.length - 1]!;
        const route =
          first === last
            ? `    - destination: {host: ${s.name}, subset: ${first}}`
            : `    - {destination: {host: ${s.name}, subset: ${first}}, weight: ${s.split}}
    - {destination: {host: ${s.name}, subset: ${last}}, weight: ${100 - s.split}}`;
        const http = s.ports.some((p) => p.protocol !== 'tcp');
        return [
          `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${s.name}}
spec:
  host: ${s.name}
  trafficPolicy: {loadBalancer: ${lb}, outlierDetection: {consecutive5xxErrors: 3}}
  subsets:
${s.versions.map((v) => `  - {name: ${v}, labels: {version: ${v}}}`).join('\n')}`,
          `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${s.name}}
spec:
  hosts: [${s.name}]
  ${http ? 'http' : 'tcp'}:
  - route:
${route}
    ${http ? 'timeout: 2s' : ''}`,
        ];
      });
    return [mesh, ...istio];
  }

  it('compile deterministically and every resource passes the strict proto check', async () => {
    const { loadMeshFromSources } = await import('../../../src/config/index.ts');
    fc.assert(
      fc.property(meshArb, ({ services, capture }) => {
        const files = yaml(services).map((text, i) => ({ path: `p${i}.yaml`, text }));
        const { model: m, diagnostics } = loadMeshFromSources(files);
        const errors = diagnostics.filter((d) => d.severity === 'error');
        if (errors.length > 0) throw new Error(`invalid generated mesh: ${JSON.stringify(errors)}\n${files.map((f) => f.text).join('\n---\n')}`);
        const addressing = capture ? composeAddressing() : loopbackAddressing(m!, 40000);
        const a = compileMesh(m!, addressing);
        const b = compileMesh(m!, capture ? composeAddressing() : loopbackAddressing(m!, 40000));
        expect(b).toEqual(a);
        expect(json(b)).toBe(json(a));
        for (const s of a.snapshots) for (const kind of RESOURCE_KINDS) for (const r of s[kind]) checkResource(kind, structuredClone(r.value));
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 60) },
    );
  });
});

export type { ServiceModel };
