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

  it('warns that server TLS is accepted but not applied', () => {
    const gw = gateway('web', 443, 'HTTPS').replace('    hosts:', '    tls: {mode: SIMPLE, credentialName: shop-cert}\n    hosts:');
    expect(diagnostics({ 'gw.yaml': gw })).toEqual([
      'gw.yaml:7:44 warning: HTTPS servers are not served by localmesh yet: the gateway does not listen on port 443',
      'gw.yaml:8:5 warning: Gateway spec.servers[0].tls is accepted but not applied by localmesh yet: the server speaks plain text',
    ]);
  });
});
