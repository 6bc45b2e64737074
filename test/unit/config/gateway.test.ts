// Gateways: one protocol per port across Gateways, VirtualServices bound to hosts a server serves.
import { describe, expect, it } from 'vitest';
import { diagnostics, hints } from './fixtures.ts';

function gateway(name: string, port: number, protocol: string, hosts = '["*"]') {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${port}, name: p, protocol: ${protocol}}
    hosts: ${hosts}
`;
}

const BOUND = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop}
spec:
  hosts: [shop.example.com]
  gateways: [web]
  http:
  - route: [{destination: {host: reviews}}]
`;

describe('Gateway', () => {
  it('rejects one port with two protocols across Gateways', () => {
    const files = { 'a.yaml': gateway('web', 80, 'HTTP'), 'b.yaml': gateway('db', 80, 'TCP') };
    expect(diagnostics(files)).toEqual(['b.yaml:7:43 error: port 80 is TCP here but HTTP in Gateway default/web; a port has one protocol']);
    expect(hints(files)).toEqual(['the other server is at a.yaml:7:43; use another port number for one of them']);
  });

  it('accepts a VirtualService whose host a server serves, by wildcard or namespace/host', () => {
    expect(diagnostics({ 'gw.yaml': gateway('web', 80, 'HTTP', '["*.example.com"]'), 'vs.yaml': BOUND })).toEqual([]);
    expect(diagnostics({ 'gw.yaml': gateway('web', 80, 'HTTP', '["default/shop.example.com"]'), 'vs.yaml': BOUND })).toEqual([]);
  });

  it('warns when a bound VirtualService has no host the Gateway serves', () => {
    expect(diagnostics({ 'gw.yaml': gateway('web', 80, 'HTTP', '[books.example.com]'), 'vs.yaml': BOUND })).toEqual([
      'vs.yaml:5:10 warning: none of the hosts of VirtualService shop (shop.example.com) is served by Gateway default/web, so the gateway never uses it',
    ]);
  });

  it('finds a Gateway by NAMESPACE/NAME', () => {
    const vs = BOUND.replace('gateways: [web]', 'gateways: [default/web, other/web]');
    expect(diagnostics({ 'gw.yaml': gateway('web', 80, 'HTTP'), 'vs.yaml': vs })).toEqual([
      "vs.yaml:6:27 error: gateway 'other/web' is not defined",
    ]);
  });

  it('serves HTTPS servers: a credential, files, or a local certificate when none is named', () => {
    const withTls = (tls: string) => gateway('web', 443, 'HTTPS').replace('    hosts:', `    tls: ${tls}\n    hosts:`);
    expect(diagnostics({ 'gw.yaml': withTls('{mode: SIMPLE, credentialName: shop-cert}') })).toEqual([]);
    expect(diagnostics({ 'gw.yaml': withTls('{mode: SIMPLE}') })).toEqual([]);
    expect(diagnostics({ 'gw.yaml': withTls('{mode: MUTUAL, serverCertificate: a.crt, privateKey: a.key, caCertificates: ca.crt}') })).toEqual([]);
    expect(diagnostics({ 'gw.yaml': withTls('{mode: SIMPLE, serverCertificate: a.crt}') })).toEqual([
      'gw.yaml:8:25 error: serverCertificate needs privateKey beside it',
    ]);
    expect(diagnostics({ 'gw.yaml': withTls('{mode: SIMPLE, cipherSuites: [ECDHE-RSA-AES256-GCM-SHA384]}') })).toEqual([
      "gw.yaml:8:25 warning: Gateway spec.servers[0].tls.cipherSuites is accepted but not applied by localmesh yet: Envoy's default cipher suites are offered",
    ]);
  });

  it('notes that AUTO_PASSTHROUGH is not served', () => {
    const gw = gateway('web', 443, 'TLS').replace('    hosts:', '    tls: {mode: AUTO_PASSTHROUGH}\n    hosts:');
    expect(diagnostics({ 'gw.yaml': gw })).toEqual([
      "gw.yaml:8:11 warning: AUTO_PASSTHROUGH routes by the SNI names of another cluster's sidecars (outbound_.PORT_.SUBSET_.HOST), which a laptop has none of: the gateway does not serve this server",
    ]);
  });

  it('lets Gateways of different selectors use one port number with different protocols: each has its own proxy', () => {
    const ingress = gateway('web', 80, 'HTTP');
    const egress = gateway('out', 80, 'TCP').replace('istio: ingressgateway', 'istio: egressgateway');
    expect(diagnostics({ 'a.yaml': ingress, 'b.yaml': egress })).toEqual([]);
    expect(diagnostics({ 'a.yaml': ingress, 'b.yaml': gateway('out', 80, 'TCP') })[0]).toContain('port 80 is TCP here but HTTP in Gateway default/web');
  });
});
