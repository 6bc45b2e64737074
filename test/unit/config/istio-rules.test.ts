// The values issue 11 found accepted (and some refused by Envoy, or by `mesh generate` with
// `expected uint32, got -1`): each is now an error at the YAML field that holds it.
import { describe, expect, it } from 'vitest';
import { diagnostics, hints, REVIEWS_RULE } from './fixtures.ts';

const rule = (policy: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  trafficPolicy:
    ${policy}
`;

const route = (extra: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - ${extra}
    route: [{destination: {host: reviews}}]
`;

describe('values Istio or Envoy refuse, pointed at in the YAML', () => {
  it('consecutive5xxErrors -1 (a UInt32Value): a schema error at the value, not a failure of generate', () => {
    expect(diagnostics({ 'dr.yaml': rule('outlierDetection: {consecutive5xxErrors: -1}') }, 'error')).toEqual([
      'dr.yaml:7:46 error: DestinationRule spec.trafficPolicy.outlierDetection.consecutive5xxErrors must be at least 0, got -1',
    ]);
  });

  it('maxEjectionPercent 150', () => {
    expect(diagnostics({ 'dr.yaml': rule('outlierDetection: {maxEjectionPercent: 150}') }, 'error')).toEqual([
      'dr.yaml:7:44 error: DestinationRule spec.trafficPolicy.outlierDetection.maxEjectionPercent must be at most 100, got 150',
    ]);
    expect(hints({ 'dr.yaml': rule('outlierDetection: {maxEjectionPercent: 150}') })).toEqual(['maxEjectionPercent takes a number from 0 to 100']);
  });

  it('a maglev table size that is not prime, with the next prime as hint', () => {
    const files = { 'dr.yaml': rule('loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 1000}}}') };
    expect(diagnostics(files, 'error')).toEqual(['dr.yaml:7:70 error: maglev tableSize 1000 is not a prime number']);
    expect(hints(files)).toEqual(['the nearest prime above is 1009']);
  });

  it('a timeout of 0s or 0.5ms: Istio requires at least 1ms', () => {
    expect(diagnostics({ 'vs.yaml': route('timeout: 0s') }, 'error')).toEqual([
      'vs.yaml:7:14 error: spec.http[0].timeout is 0s; Istio requires a duration of at least 1ms',
    ]);
    expect(diagnostics({ 'vs.yaml': route('timeout: 0.5ms') }, 'error')).toEqual([
      'vs.yaml:7:14 error: spec.http[0].timeout is 0.5ms; Istio requires a duration of at least 1ms',
    ]);
  });

  it('a rewrite with both uri and uriRegexRewrite', () => {
    expect(diagnostics({ 'vs.yaml': route('rewrite: {uri: /a, uriRegexRewrite: {match: "^/b", rewrite: /c}}'), 'dr.yaml': REVIEWS_RULE }, 'error')).toEqual([
      'vs.yaml:7:24 error: a rewrite takes one of uri and uriRegexRewrite, not both',
    ]);
  });

  it('removing the host header, and a direct response status Envoy refuses', () => {
    expect(diagnostics({ 'vs.yaml': route('headers: {request: {remove: [host]}}') }, 'error')).toEqual([
      'vs.yaml:7:34 error: spec.http[0].headers.request.remove[0]: the Host header cannot be removed or changed here',
    ]);
    expect(diagnostics({ 'vs.yaml': route('directResponse: {status: 99}').replace('    route: [{destination: {host: reviews}}]\n', '') }, 'error')).toEqual([
      'vs.yaml:7:30 error: VirtualService spec.http[0].directResponse.status must be at least 200, got 99',
    ]);
  });

  it("a VirtualService for host '*' in the sidecars", () => {
    expect(diagnostics({ 'vs.yaml': route('name: all').replace('hosts: [reviews]', 'hosts: ["*"]') }, 'error')).toEqual([
      "vs.yaml:5:11 error: host '*' is not allowed for the sidecars (gateway 'mesh')",
    ]);
  });

  it('Gateway servers: port 70000, no port name, duplicate port names, HTTPS without tls, short hosts', () => {
    const gateway = (servers: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
${servers}`;
    expect(diagnostics({ 'gw.yaml': gateway('  - {port: {number: 70000, name: http, protocol: HTTP}, hosts: ["*"]}\n') }, 'error')).toEqual([
      'gw.yaml:6:21 error: Gateway spec.servers[0].port.number must be at most 65535, got 70000',
    ]);
    expect(diagnostics({ 'gw.yaml': gateway('  - {port: {number: 80, protocol: HTTP}, hosts: ["*"]}\n') }, 'error')).toEqual([
      "gw.yaml:6:12 error: missing field 'name' in Gateway spec.servers[0].port",
    ]);
    expect(diagnostics({ 'gw.yaml': gateway('  - {port: {number: 80, name: web, protocol: HTTP}, hosts: ["*"]}\n  - {port: {number: 81, name: web, protocol: HTTP}, hosts: ["*"]}\n') }, 'error')).toEqual([
      "gw.yaml:7:31 error: port name 'web' is used by another server of Gateway gw; port names must be unique",
    ]);
    expect(diagnostics({ 'gw.yaml': gateway('  - {port: {number: 443, name: https, protocol: https}, hosts: ["*"]}\n') }, 'error')).toEqual([
      'gw.yaml:6:6 error: a HTTPS server needs tls settings',
    ]);
    expect(diagnostics({ 'gw.yaml': gateway('  - {port: {number: 80, name: http, protocol: HTTP}, hosts: ["./foo", "*/foo"]}\n') }, 'error')).toEqual([
      "gw.yaml:6:62 error: server host './foo' is a short name; a Gateway server takes fully qualified hosts (or *)",
      "gw.yaml:6:71 error: server host '*/foo' is a short name; a Gateway server takes fully qualified hosts (or *)",
    ]);
  });

  it('lowercase protocols are read as Istio reads them, and a DestinationRule for *.example.com is a warning', () => {
    const gw = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - {port: {number: 80, name: http, protocol: http}, hosts: ["*"]}
`;
    expect(diagnostics({ 'gw.yaml': gw })).toEqual([]);
    const wildcard = rule('loadBalancer: {simple: ROUND_ROBIN}').replace('host: ratings', 'host: "*.example.com"');
    expect(diagnostics({ 'dr.yaml': wildcard })).toEqual([
      "dr.yaml:5:9 warning: DestinationRule host '*.example.com' covers no service of the mesh, so the rule does nothing",
    ]);
  });
});
