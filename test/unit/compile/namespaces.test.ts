// Services in several namespaces: each sidecar calls its own namespace's services by short name
// and every service by NAME.NS or its FQDN, and sees only the VirtualServices, DestinationRules and
// ServiceEntries exported to its namespace, as Istio's sidecar scoping decides.
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { namespaceView } from '../../../src/config/namespace-view.ts';
import type { MeshModel } from '../../../src/config/model.ts';
import { compileMesh } from '../../../src/compile/index.ts';
import { composeAddressing } from '../../../src/compile/addressing.ts';
import { cluster, proxy, routeConfig } from './compile-helpers.ts';
import { probes } from '../../../src/routetest/verdict.ts';

const MESH = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: ns}
spec:
  services:
    web: {namespace: shop, ports: [{port: 9080}], versions: {v1: {image: web:1}}}
    cart: {namespace: shop, ports: [{port: 9080}], versions: {v1: {image: cart:1}}}
    pricing: {namespace: billing, ports: [{port: 9080}], versions: {v1: {image: p:1}, v2: {image: p:2}}}
    audit: {namespace: billing, ports: [{port: 9080}], versions: {v1: {image: a:1}}}
    probe: {ports: [{port: 9080}], versions: {v1: {image: probe:1}}}
`;

const doc = (kind: string, name: string, namespace: string, spec: string) =>
  `apiVersion: networking.istio.io/v1\nkind: ${kind}\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec}`;

/** billing's own rule (exported to "." only): its subset stable is v2, and it keeps connections short. */
const BILLING_RULE = doc('DestinationRule', 'pricing', 'billing', `  host: pricing
  exportTo: ["."]
  trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: 7}}}
  subsets: [{name: stable, labels: {version: v2}}]
`);
/** shop's rule for the same host: in shop, stable is v1. */
const SHOP_RULE = doc('DestinationRule', 'pricing', 'shop', `  host: pricing.billing.svc.cluster.local
  subsets: [{name: stable, labels: {version: v1}}]
`);
/** A VirtualService of billing exported to shop only: a fault there, none in billing. */
const FOR_SHOP = doc('VirtualService', 'pricing-for-shop', 'billing', `  hosts: [pricing]
  exportTo: [shop]
  http:
  - match: [{uri: {prefix: /teapot}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: pricing, subset: stable}}]
  - route: [{destination: {host: pricing, subset: stable}}]
`);

function load(...docs: string[]): MeshModel {
  const { model, diagnostics } = loadMeshFromSources([MESH, ...docs].map((text, i) => ({ path: `f${i}.yaml`, text })));
  expect(diagnostics).toEqual([]);
  return model!;
}

const compile = (...docs: string[]) => {
  const m = load(...docs);
  return compileMesh(m, composeAddressing());
};

const hostsOf = (compiled: ReturnType<typeof compile>, from: string) =>
  new Map((routeConfig(proxy(compiled, from), 'outbound').virtual_hosts as any[]).map((h) => [h.name, h]));

describe('namespaces', () => {
  it('puts a Mesh service in its own namespace, the Mesh document giving the default', () => {
    const m = load();
    expect(m.services.map((s) => s.fqdn)).toEqual([
      'audit.billing.svc.cluster.local', 'cart.shop.svc.cluster.local', 'pricing.billing.svc.cluster.local',
      'probe.default.svc.cluster.local', 'web.shop.svc.cluster.local',
    ]);
  });

  it('answers the short name only in the service’s own namespace, NAME.NS and the FQDN everywhere', () => {
    const compiled = compile();
    const pricing = (from: string) => hostsOf(compiled, from).get('pricing.billing.svc.cluster.local:9080').domains as string[];
    expect(pricing('audit-v1')).toEqual(['pricing:9080', 'pricing.billing:9080', 'pricing.billing.svc:9080', 'pricing.billing.svc.cluster.local:9080']);
    expect(pricing('web-v1')).toEqual(['pricing.billing:9080', 'pricing.billing.svc:9080', 'pricing.billing.svc.cluster.local:9080']);
    expect(hostsOf(compiled, 'web-v1').get('cart.shop.svc.cluster.local:9080').domains).toContain('cart:9080');
  });

  it('gives a DestinationRule exported to "." to its own namespace only; a client takes its own namespace’s rule first', () => {
    const compiled = compile(BILLING_RULE, SHOP_RULE, FOR_SHOP);
    const stable = 'outbound|9080|stable|pricing.billing.svc.cluster.local';
    const plain = 'outbound|9080||pricing.billing.svc.cluster.local';
    // billing's sidecars: billing's rule, its policy and its subset (v2).
    expect(cluster(proxy(compiled, 'audit-v1'), plain).typed_extension_protocol_options).toBeDefined();
    // shop's: their own rule (stable is v1), without billing's policy.
    expect(cluster(proxy(compiled, 'web-v1'), plain).typed_extension_protocol_options).toBeUndefined();
    // probe's (default): no rule at all, so no subset cluster.
    expect(() => cluster(proxy(compiled, 'probe-v1'), stable)).toThrow(/no cluster/);
    const endpointsOf = (from: string) => {
      const snapshot = proxy(compiled, from);
      return snapshot.endpoints.find((e) => e.name === stable)?.value ?? cluster(snapshot, stable).load_assignment;
    };
    expect(JSON.stringify(endpointsOf('audit-v1'))).toContain('pricing-v2');
    expect(JSON.stringify(endpointsOf('audit-v1'))).not.toContain('pricing-v1');
    expect(JSON.stringify(endpointsOf('web-v1'))).toContain('pricing-v1');
    expect(JSON.stringify(endpointsOf('web-v1'))).not.toContain('pricing-v2');
  });

  it('applies a VirtualService exported to a namespace there only', () => {
    const compiled = compile(BILLING_RULE, SHOP_RULE, FOR_SHOP);
    const routes = (from: string) => JSON.stringify(hostsOf(compiled, from).get('pricing.billing.svc.cluster.local:9080').routes);
    expect(routes('web-v1')).toContain('418');
    expect(routes('audit-v1')).not.toContain('418');
    expect(routes('probe-v1')).not.toContain('418');
  });

  it('hides a ServiceEntry from the namespaces it is not exported to', () => {
    const entry = doc('ServiceEntry', 'rates', 'shop', `  hosts: [api.rates.test]
  exportTo: ["."]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
`);
    const compiled = compile(entry);
    expect(hostsOf(compiled, 'web-v1').has('api.rates.test:80')).toBe(true);
    expect(hostsOf(compiled, 'audit-v1').has('api.rates.test:80')).toBe(false);
  });

  it('keeps the model itself as the view where a namespace sees everything, so one-namespace meshes compile as before', () => {
    const m = load(SHOP_RULE);
    expect(namespaceView(m, 'shop')).toBe(m);
    expect(namespaceView(m, 'billing')).not.toBe(m); // the host's namespace has no rule, and shop's is not billing's
    expect(namespaceView(m, 'billing').destinationRules).toEqual([]);
  });

  it('mesh route-test reads a host as the source app calls it: short in its namespace, NAME.NS elsewhere', () => {
    const m = load();
    const multi = { ...m, services: m.services.map((s) => (s.name === 'pricing' ? { ...s, ports: [{ port: 9080, protocol: 'http' as const }, { port: 9090, protocol: 'http' as const }] } : s)) };
    expect(probes(multi, { source: 'web', host: 'pricing.billing', path: '/' } as never)).toMatchObject({ field: 'host' });
    expect(probes(multi, { source: 'audit', host: 'pricing', path: '/' } as never)).toMatchObject({ field: 'host' });
    expect(probes(multi, { source: 'web', host: 'pricing', path: '/' } as never)).toMatchObject([{ port: 80 }]);
  });

  it('applies a match with sourceNamespace to the sidecars of that namespace only', () => {
    const vs = doc('VirtualService', 'pricing-by-caller', 'billing', `  hosts: [pricing]
  http:
  - match: [{sourceNamespace: shop}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: pricing}}]
  - route: [{destination: {host: pricing}}]
`);
    const compiled = compile(vs);
    const routes = (from: string) => JSON.stringify(hostsOf(compiled, from).get('pricing.billing.svc.cluster.local:9080').routes);
    expect(routes('web-v1')).toContain('418');
    expect(routes('cart-v1')).toContain('418');
    expect(routes('audit-v1')).not.toContain('418');
    expect(routes('probe-v1')).not.toContain('418');
  });

  it("hides from the ingress gateway (namespace istio-system) a VirtualService not exported there", () => {
    const gateway = doc('Gateway', 'edge', 'shop', `  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
`);
    const route = (name: string, host: string, exportTo: string) => doc('VirtualService', name, 'shop', `  hosts: [${host}]
  gateways: [edge]
  exportTo: [${exportTo}]
  http: [{route: [{destination: {host: web}}]}]
`);
    const compiled = compile(gateway, route('open', 'open.local', '"*"'), route('private', 'private.local', '"."'));
    const names = (routeConfig(proxy(compiled, 'mesh-gateway'), 'http.80').virtual_hosts as any[]).map((h) => h.name);
    expect(names).toContain('open.local:80');
    expect(names).not.toContain('private.local:80');
  });
});
