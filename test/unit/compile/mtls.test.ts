// PeerAuthentication → the inbound chains a sidecar serves and the transport sockets its clients
// use (auto mTLS); without one, nothing of TLS appears and the output is what it always was.
import { describe, expect, it } from 'vitest';
import { mtlsModeFor } from '../../../src/config/mtls.ts';
import { ALL_FEATURES, compile, model, proxy } from './compile-helpers.ts';
import { diagnostics, load as loadConfig } from '../config/fixtures.ts';
import { proxySpiffeId } from '../../../src/control/secrets.ts';

const pa = (mode: string, { namespace = 'istio-system', selector = '', ports = '' } = {}) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: pa-${mode.toLowerCase()}-${namespace}${selector ? '-w' : ''}, namespace: ${namespace}}
spec:
${selector ? `  selector: {matchLabels: ${selector}}\n` : ''}  mtls: {mode: ${mode}}
${ports ? `  portLevelMtls: ${ports}\n` : ''}`;

const resources = (docs: string[]) => JSON.stringify(compile(docs, 'loopback').snapshots.map((s) => [s.listeners, s.routes, s.clusters, s.endpoints]));
const inbound = (docs: string[], id = 'reviews-v1') => proxy(compile(docs), id).listeners.find((l) => l.name.startsWith('inbound_'))!.value as any;
const cluster = (docs: string[], name: string) => proxy(compile(docs), 'productpage-v1').clusters.find((c) => c.name === name)!.value as any;

describe('PeerAuthentication', () => {
  it('absent, or DISABLE everywhere: byte-identical output, no TLS anywhere', () => {
    const plain = resources(ALL_FEATURES);
    expect(plain).not.toContain('transport_socket');
    expect(plain).not.toContain('tls_inspector');
    expect(resources([...ALL_FEATURES, pa('DISABLE')])).toBe(plain);
  });

  it('STRICT: the inbound chain requires a mesh client certificate; plain text has no chain', () => {
    const listener = inbound([pa('STRICT')]);
    expect(listener.listener_filters.map((f: any) => f.name)).toContain('envoy.filters.listener.tls_inspector');
    expect(listener.filter_chains).toHaveLength(1);
    const [chain] = listener.filter_chains;
    expect(chain.filter_chain_match).toMatchObject({ transport_protocol: 'tls' });
    expect(chain.transport_socket.typed_config).toMatchObject({
      require_client_certificate: true,
      common_tls_context: {
        tls_certificate_sds_secret_configs: [{ name: 'default' }],
        combined_validation_context: { validation_context_sds_secret_config: { name: 'ROOTCA' } },
      },
    });
  });

  it('PERMISSIVE: a TLS chain by ALPN istio-peer-exchange/istio, and the plain chain beside it', () => {
    const chains = inbound([pa('PERMISSIVE')]).filter_chains;
    expect(chains.map((c: any) => [c.filter_chain_match?.transport_protocol, c.filter_chain_match?.application_protocols, !!c.transport_socket])).toEqual([
      ['tls', ['istio-peer-exchange', 'istio'], true],
      [undefined, undefined, false],
    ]);
  });

  it('clients use auto mTLS with Istio SNI to servers that accept it, plain text to those that do not', () => {
    const docs = [pa('STRICT'), pa('DISABLE', { namespace: 'default', selector: '{app: ratings}' })];
    expect(cluster(docs, 'outbound|9080||reviews.default.svc.cluster.local').transport_socket.typed_config).toMatchObject({
      sni: 'outbound_.9080_._.reviews.default.svc.cluster.local',
      common_tls_context: { alpn_protocols: ['istio-peer-exchange', 'istio'] },
    });
    expect(cluster(docs, 'outbound|9080||ratings.default.svc.cluster.local').transport_socket).toBeUndefined();
  });

  it("DestinationRule tls: ISTIO_MUTUAL makes clients use mTLS and the service's servers accept it (PERMISSIVE, Istio's default); DISABLE sends plain text", () => {
    const dr = (mode: string, host = 'reviews') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${host}-${mode.toLowerCase()}}
spec:
  host: ${host}
  trafficPolicy: {tls: {mode: ${mode}}}
`;
    const mutual = [dr('ISTIO_MUTUAL')];
    expect(cluster(mutual, 'outbound|9080||reviews.default.svc.cluster.local').transport_socket.typed_config).toMatchObject({ sni: 'outbound_.9080_._.reviews.default.svc.cluster.local' });
    expect(inbound(mutual).filter_chains.map((c: any) => c.filter_chain_match?.transport_protocol)).toEqual(['tls', undefined]);
    // Other services stay plain text.
    expect(cluster(mutual, 'outbound|9080||ratings.default.svc.cluster.local').transport_socket).toBeUndefined();
    // DISABLE: plain text to a server that would take mTLS (PERMISSIVE: answered; STRICT would refuse, as in Istio).
    const off = [pa('PERMISSIVE'), dr('DISABLE')];
    expect(cluster(off, 'outbound|9080||reviews.default.svc.cluster.local').transport_socket).toBeUndefined();
    expect(cluster(off, 'outbound|9080||ratings.default.svc.cluster.local').transport_socket).toBeDefined();
  });

  it('resolves workload over namespace over mesh, UNSET inherits, portLevelMtls overrides its port', () => {
    const m = model(pa('STRICT'), pa('PERMISSIVE', { namespace: 'default' }), pa('UNSET', { namespace: 'default', selector: '{app: ratings}', ports: "{'9090': {mode: DISABLE}}" }));
    const svc = (name: string) => m.services.find((s) => s.name === name)!;
    const ratings = svc('ratings');
    expect(mtlsModeFor(m, ratings, ratings.versions[0]!, ratings.ports[0]!)).toBe('PERMISSIVE');
    expect(mtlsModeFor(m, ratings, ratings.versions[0]!, ratings.ports[1]!)).toBe('DISABLE');
    expect(mtlsModeFor(model(pa('STRICT')), svc('reviews'), svc('reviews').versions[0]!, svc('reviews').ports[0]!)).toBe('STRICT');
    expect(mtlsModeFor(model(), svc('reviews'), svc('reviews').versions[0]!, svc('reviews').ports[0]!)).toBeUndefined();
  });

  it('a mode Istio does not have is an error at its position', () => {
    expect(diagnostics({ 'pa.yaml': pa('STRIKT') }, 'error')).toEqual([expect.stringMatching(/^pa\.yaml:5:16 error: PeerAuthentication spec.mtls.mode: .STRIKT. is not allowed.*did you mean .STRICT./)]);
  });

  it('portLevelMtls without a selector is an error; a policy that can never apply is a warning, each at its place', () => {
    expect(diagnostics({ 'pa.yaml': pa('STRICT', { namespace: 'default', ports: "{'9080': {mode: DISABLE}}" }) })).toEqual([
      expect.stringMatching(/^pa\.yaml:6:3 error: PeerAuthentication pa-strict-default: portLevelMtls needs a selector/),
    ]);
    expect(diagnostics({ 'pa.yaml': pa('STRICT', { namespace: 'default', selector: '{app: nobody}' }) })).toEqual([
      expect.stringMatching(/^pa\.yaml:5:\d+ warning: PeerAuthentication pa-strict-default-w selects no workload in namespace default/),
    ]);
    expect(diagnostics({ 'pa.yaml': pa('STRICT', { namespace: 'shop' }) })).toEqual([
      expect.stringMatching(/^pa\.yaml:3:\d+ warning: .*in namespace shop, where no workload runs/),
    ]);
    expect(diagnostics({ 'a.yaml': pa('STRICT'), 'b.yaml': pa('STRICT').replace('name: pa-strict-istio-system', 'name: again') })).toEqual([
      expect.stringMatching(/^b\.yaml:3:\d+ warning: PeerAuthentication again applies to the same workloads as one before it/),
    ]);
  });

  it("the Mesh kind's serviceAccount names the workloads' identity", () => {
    const m = model(pa('STRICT'));
    expect(m.services.find((s) => s.name === 'reviews')!.versions[0]!.serviceAccount).toBeUndefined();
    const { load } = { load: (text: string) => diagnostics({ 'mesh.yaml': text }) };
    expect(load(`apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: m}
spec:
  services:
    web: {serviceAccount: Front_End, ports: [{port: 80}], versions: {v1: {image: web:1}}}
`)).toEqual([expect.stringMatching(/^mesh\.yaml:6:\d+ error: .*serviceAccount.*Kubernetes name/)]);
    const named = loadConfig({ 'mesh.yaml': `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: m}
spec:
  services:
    web: {serviceAccount: frontend, ports: [{port: 80}], versions: {v1: {image: web:1}}}
` }).model!;
    expect(proxySpiffeId(named, { proxy: 'web-v1', service: 'web', version: 'v1' })).toBe('spiffe://cluster.local/ns/default/sa/frontend');
  });
});
