// Istio's own samples and egress tasks that use ServiceEntry (test/fixtures/istio/egress), loaded
// unmodified beside Istio's curl sample: Istio accepts every one, so must localmesh, and the
// compile (checked against Envoy's protos, both addressings) says what each means.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeAddressing, loopbackAddressing } from '../../../src/compile/addressing.ts';
import { compileChecked } from '../../../src/compile/refusal.ts';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import type { EnvoyJson, ProxySnapshot } from '../../../src/envoy/snapshot.ts';

const DIR = 'test/fixtures/istio/egress';
const CURL = 'test/fixtures/istio/httpbin/curl.yaml';
const read = (path: string) => ({ path, text: readFileSync(path, 'utf8') });

function load(file: string) {
  return loadMeshFromSources([read(CURL), read(join(DIR, file))], DIR);
}

function sidecar(file: string, kind: 'compose' | 'loopback' = 'compose'): ProxySnapshot {
  const { model } = load(file);
  const { compiled, diagnostics } = compileChecked(model!, kind === 'compose' ? composeAddressing() : loopbackAddressing(model!, 30000), DIR);
  expect(diagnostics).toEqual([]);
  return compiled!.snapshots.find((s) => s.proxy === 'curl-latest')!;
}

const named = (list: { name: string; value: EnvoyJson }[], name: string): any => {
  const found = list.find((r) => r.name === name);
  if (!found) throw new Error(`no ${name}; have ${list.map((r) => r.name).join(', ')}`);
  return found.value;
};
const vhost = (s: ProxySnapshot, name: string) => (named(s.routes, 'outbound').virtual_hosts as any[]).find((h) => h.name === name);

describe("Istio's samples and tasks with ServiceEntries", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

  it('are all here', () => {
    expect(files).toEqual([
      'egress-control-http.yaml', 'egress-control-https.yaml', 'egress-control-registry-only.yaml', 'egress-gateway-http.yaml', 'egress-gateway-https.yaml',
      'egress-rule-google-apis.yaml', 'egress-tls-origination.yaml', 'github.yaml', 'wildcard-egress-hosts-direct.yaml',
    ]);
  });

  for (const file of files) {
    it(`${file}: valid, as Istio says, and compiles to a config Envoy accepts`, () => {
      const { model, diagnostics } = load(file);
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      sidecar(file);
      sidecar(file, 'loopback');
      expect(model).toBeDefined();
    });
  }

  it('egress-control: httpbin.org by DNS, with the 3 s timeout of its VirtualService', () => {
    const s = sidecar('egress-control-http.yaml');
    expect(named(s.clusters, 'outbound|80||httpbin.org')).toMatchObject({ type: 'STRICT_DNS' });
    expect(vhost(s, 'httpbin.org:80').routes[0].route).toMatchObject({ cluster: 'outbound|80||httpbin.org', timeout: '3s' });
  });

  it('egress-gateway (HTTP): the sidecar sends edition.cnn.com to the egress gateway, which sends it on to edition.cnn.com', () => {
    const { model } = load('egress-gateway-http.yaml');
    const { compiled } = compileChecked(model!, composeAddressing(), DIR);
    const s = compiled!.snapshots.find((x) => x.proxy === 'curl-latest')!;
    const toGateway = 'outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local';
    expect(vhost(s, 'edition.cnn.com:80').routes[0].route.cluster).toBe(toGateway);
    // The egress gateway's Service is its own Envoy, a Compose service by DNS.
    expect(named(s.clusters, toGateway).load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'mesh-gateway-egressgateway', port_value: 80 });
    const egress = compiled!.snapshots.find((x) => x.proxy === 'mesh-gateway-egressgateway')!;
    const hosts = named(egress.routes, 'http.80').virtual_hosts as any[];
    expect(hosts.map((h) => [h.name, h.routes.map((r: any) => r.route.cluster)])).toEqual([['edition.cnn.com:80', ['outbound|80||edition.cnn.com']]]);
    expect(compiled!.snapshots.find((x) => x.proxy === 'mesh-gateway')!.listeners).toEqual([]);
  });

  it('egress-gateway (HTTPS): TLS to edition.cnn.com goes by its SNI to the egress gateway, which passes it through by SNI', () => {
    const { model } = load('egress-gateway-https.yaml');
    const { compiled, diagnostics } = compileChecked(model!, composeAddressing(), DIR);
    expect(diagnostics).toEqual([]);
    const toGateway = 'outbound|443|cnn|istio-egressgateway.istio-system.svc.cluster.local';
    const s = compiled!.snapshots.find((x) => x.proxy === 'curl-latest')!;
    const chain = (named(s.listeners, 'outbound').filter_chains as any[]).find((c) => c.filter_chain_match?.server_names?.includes('edition.cnn.com'));
    expect(chain.filters[0].typed_config.cluster).toBe(toGateway);
    const egress = compiled!.snapshots.find((x) => x.proxy === 'mesh-gateway-egressgateway')!;
    const passthrough = named(egress.listeners, 'gateway_443').filter_chains as any[];
    expect(passthrough.map((c) => [c.filter_chain_match.server_names, c.filters[0].typed_config.cluster])).toEqual([[['edition.cnn.com'], 'outbound|443||edition.cnn.com']]);
    // Without capture, the app's CONNECT to edition.cnn.com:443 is tunnelled to the egress gateway.
    const loopback = sidecar('egress-gateway-https.yaml', 'loopback');
    expect(vhost(loopback, 'edition.cnn.com:443').routes[0].route.cluster).toBe(toGateway);
  });

  it('egress-control: REGISTRY_ONLY from the IstioOperator blocks unknown hosts with 502', () => {
    const s = sidecar('egress-control-registry-only.yaml');
    expect((named(s.routes, 'outbound').virtual_hosts as any[]).at(-1).name).toBe('block_all');
  });

  it('egress-tls-origination: port 80 goes to edition.cnn.com:443 (targetPort) over TLS the sidecar originates', () => {
    const cluster = named(sidecar('egress-tls-origination.yaml').clusters, 'outbound|80||edition.cnn.com');
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'edition.cnn.com', port_value: 443 });
    expect(cluster.transport_socket.typed_config).toMatchObject({ sni: 'edition.cnn.com' });
  });

  it('bookinfo egress-rule-google-apis: port 80 rewritten to 443, where TLS is originated', () => {
    const s = sidecar('egress-rule-google-apis.yaml');
    expect(vhost(s, 'www.googleapis.com:80').routes[0].route.cluster).toBe('outbound|443||www.googleapis.com');
    expect(named(s.clusters, 'outbound|443||www.googleapis.com').transport_socket.typed_config.sni).toBe('www.googleapis.com');
    expect(named(s.clusters, 'outbound|80||www.googleapis.com').transport_socket).toBeUndefined();
  });

  it('wildcard hosts (resolution NONE): ORIGINAL_DST with capture, CONNECT to the dynamic forward proxy without', () => {
    expect(named(sidecar('wildcard-egress-hosts-direct.yaml').clusters, 'outbound|443||*.wikipedia.org')).toMatchObject({ type: 'ORIGINAL_DST' });
    const loopback = sidecar('wildcard-egress-hosts-direct.yaml', 'loopback');
    expect(vhost(loopback, '*.wikipedia.org:443')).toMatchObject({ domains: ['*.wikipedia.org:443'], routes: [{ route: { cluster: 'outbound|443||*.wikipedia.org' } }] });
    expect(named(loopback.clusters, 'outbound|443||*.wikipedia.org').cluster_type.name).toBe('envoy.clusters.dynamic_forward_proxy');
  });
});
