// YAML in, compiled Envoy JSON out: small lookups so each test reads as "this Istio YAML gives
// this Envoy route/cluster/listener".
import { expect } from 'vitest';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import type { MeshModel } from '../../../src/config/model.ts';
import { compileMesh, type CompiledMesh } from '../../../src/compile/index.ts';
import { composeAddressing, loopbackAddressing, type Addressing } from '../../../src/compile/addressing.ts';
import type { EnvoyJson, ProxySnapshot } from '../../../src/envoy/snapshot.ts';

export const MESH = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  services:
    reviews:
      ports: [{port: 9080}]
      versions:
        v1: {image: reviews:1}
        v2: {image: reviews:2}
        v3: {image: reviews:3}
    ratings:
      ports: [{port: 9080}, {port: 9090, protocol: grpc}]
      versions:
        v1: {image: ratings:1}
    productpage:
      ports: [{port: 80}]
      versions:
        v1: {image: productpage:1}
    db:
      ports: [{port: 5432, protocol: tcp}]
      versions:
        v1: {image: db:1}
        v2: {image: db:2}
`;

export const REVIEWS_SUBSETS = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
`;

/** A VirtualService for reviews using most HTTP route features. */
const CANARY = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    fault: {delay: {fixedDelay: 1s, percentage: {value: 50}}}
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v3}, weight: 10}
    retries: {attempts: 3, retryOn: "5xx,503"}
    corsPolicy: {allowOrigins: [{prefix: "https://"}], maxAge: 1m}
    mirror: {host: ratings}
    mirrorPercentage: {value: 5}
`;

/** A Gateway with an HTTP and a TCP server, its VirtualService, and a DestinationRule with most policies. */
const EDGE = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - {port: {number: 8080, name: http-8080, protocol: HTTP}, hosts: ["*"]}
  - {port: {number: 5432, name: tcp-5432, protocol: TCP}, hosts: ["*"]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /reviews}}]
    rewrite: {uri: /}
    route: [{destination: {host: reviews, subset: v1}}]
  - redirect: {uri: /reviews}
  tcp:
  - route: [{destination: {host: db}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  trafficPolicy:
    loadBalancer: {consistentHash: {httpCookie: {name: s, ttl: 10s}}}
    connectionPool: {tcp: {maxConnections: 5, tcpKeepalive: {time: 30s}}, http: {http2MaxRequests: 9, idleTimeout: 5s, maxConcurrentStreams: 10}}
    outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 10s}
`;

/** MESH's subsets, CANARY and EDGE: most of what compile turns into Envoy config. */
export const ALL_FEATURES = [REVIEWS_SUBSETS, CANARY, EDGE];

/** The model of MESH plus the given Istio documents; fails the test on any error. */
export function model(...docs: string[]): MeshModel {
  const files = [MESH, ...docs].map((text, i) => ({ path: `f${i}.yaml`, text }));
  const { model, diagnostics } = loadMeshFromSources(files);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  expect(errors, JSON.stringify(errors, null, 2)).toEqual([]);
  return model!;
}

export type AddressingKind = 'compose' | 'loopback';

export function addressingFor(m: MeshModel, kind: AddressingKind): Addressing {
  return kind === 'compose' ? composeAddressing() : loopbackAddressing(m, 30000);
}

export function compile(docs: string[], kind: AddressingKind = 'compose'): CompiledMesh {
  const m = model(...docs);
  return compileMesh(m, addressingFor(m, kind));
}

export function proxy(compiled: CompiledMesh, id: string): ProxySnapshot {
  const found = compiled.snapshots.find((s) => s.proxy === id);
  if (!found) throw new Error(`no snapshot for ${id}`);
  return found;
}

function named(list: { name: string; value: EnvoyJson }[], name: string, what: string): EnvoyJson {
  const found = list.find((r) => r.name === name);
  if (!found) throw new Error(`no ${what} ${name}; have ${list.map((r) => r.name).join(', ')}`);
  return found.value;
}

export const cluster = (s: ProxySnapshot, name: string) => named(s.clusters, name, 'cluster') as any;
export const listener = (s: ProxySnapshot, name: string) => named(s.listeners, name, 'listener') as any;
export const routeConfig = (s: ProxySnapshot, name: string) => named(s.routes, name, 'route configuration') as any;

/** The virtual host of the sidecar's `outbound` routes (default: reviews-v1's view) for a service port. */
export function virtualHost(compiled: CompiledMesh, name: string, from = 'productpage-v1'): any {
  const hosts = routeConfig(proxy(compiled, from), 'outbound').virtual_hosts as any[];
  const found = hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no virtual host ${name}; have ${hosts.map((h) => h.name).join(', ')}`);
  return found;
}

/** The routes of `reviews:9080` as productpage's sidecar sees them. */
export function reviewsRoutes(compiled: CompiledMesh, from = 'productpage-v1'): any[] {
  return virtualHost(compiled, 'reviews.default.svc.cluster.local:9080', from).routes;
}

/** A VirtualService for reviews with the given `http:` list (YAML, indented as under `spec:`). */
export function reviewsVs(http: string, extra = ''): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]${extra}
  http:
${http}`;
}

/** The typed_config of a named HTTP/network filter, without `@type`. */
export function filterConfig(filters: any[], name: string): any {
  const found = filters.find((f) => f.name === name);
  if (!found) throw new Error(`no filter ${name}`);
  return found.typed_config;
}
