// ServiceEntries and WorkloadEntries checked as Istio checks them, each finding at its field; and
// their hosts known to VirtualServices and DestinationRules.
import { describe, expect, it } from 'vitest';
import { diagnostics, load } from './fixtures.ts';

const se = (body: string, name = 'ext') => `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: ${name}}
spec:
${body}`;

const HTTPBIN = se(`  hosts: [httpbin.org]
  ports: [{number: 80, name: http, protocol: HTTP}, {number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
`);

describe('ServiceEntry', () => {
  it('is read into the model with its defaults: resolution NONE, location MESH_EXTERNAL', () => {
    const { model, diagnostics: found } = load({ 'se.yaml': se(`  hosts: ['*.example.com']\n  ports: [{number: 443, name: tls, protocol: tls}]\n`) });
    expect(found).toEqual([]);
    expect(model!.serviceEntries).toMatchObject([{ name: 'ext', namespace: 'default', hosts: ['*.example.com'], resolution: 'NONE', location: 'MESH_EXTERNAL', endpoints: [] }]);
    expect(model!.serviceEntries![0]!.ports[0]!.protocol).toBe('TLS');
  });

  it('rejects what Istio rejects, at the field', () => {
    expect(diagnostics({ 'se.yaml': se(`  hosts: ['*']\n  ports: [{number: 80, name: http, protocol: HTTP}]\n`) }, 'error')).toEqual([
      "se.yaml:5:11 error: host '*' is not allowed in a ServiceEntry",
    ]);
    expect(diagnostics({ 'se.yaml': se(`  hosts: [a.example.com]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 80, name: Bad_Name, protocol: HTTP}
  - {number: 81, name: http, protocol: FTP}
`) }, 'error')).toEqual([
      "se.yaml:9:40 error: ServiceEntry spec.ports[2].protocol: 'FTP' is not allowed; expected one of HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, REDIS, MYSQL, TCP, TLS, UDP",
    ]);
    expect(diagnostics({ 'se.yaml': se(`  hosts: [a.example.com]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 80, name: Bad_Name, protocol: HTTP}
  - {number: 81, name: http, protocol: HTTP}
`) }, 'error')).toEqual([
      'se.yaml:8:14 error: service entry port 80 already defined',
      "se.yaml:8:24 error: invalid port name: 'Bad_Name'",
      'se.yaml:9:24 error: service entry port name "http" already defined',
    ]);
  });

  it('checks endpoints against the resolution', () => {
    const none = se(`  hosts: [a.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  endpoints: [{address: 10.0.0.1}]\n`);
    expect(diagnostics({ 'se.yaml': none }, 'error')).toEqual(['se.yaml:7:3 error: no endpoints should be provided for resolution type NONE']);
    const staticName = se(`  hosts: [a.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n  endpoints: [{address: db.example.com, ports: {grpc: 9000}}]\n`);
    expect(diagnostics({ 'se.yaml': staticName }, 'error')).toEqual([
      "se.yaml:8:25 error: endpoint address 'db.example.com' is not a valid IP address",
      'se.yaml:8:49 error: endpoint port grpc is not defined by the service entry',
    ]);
    const wildcardDns = se(`  hosts: ['*.example.com']\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS\n`);
    expect(diagnostics({ 'se.yaml': wildcardDns }, 'error')).toEqual([
      "se.yaml:5:11 error: hosts must be FQDN if no endpoints are provided for resolution mode DNS: '*.example.com' has a wildcard",
    ]);
    const roundRobin = se(`  hosts: [a.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS_ROUND_ROBIN\n  endpoints: [{address: a.example.net}, {address: b.example.net}]\n`);
    expect(diagnostics({ 'se.yaml': roundRobin }, 'error')).toEqual(['se.yaml:8:41 error: there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN']);
    const tcpHosts = se(`  hosts: [a.example.com, b.example.com]\n  ports: [{number: 5432, name: tcp, protocol: TCP}]\n  resolution: DNS\n`);
    expect(diagnostics({ 'se.yaml': tcpHosts }, 'error')).toEqual(['se.yaml:5:3 error: multiple hosts provided with non-HTTP, non-TLS ports']);
  });

  it('takes the WorkloadEntries its workloadSelector selects as endpoints, with their labels', () => {
    const we = `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-1, labels: {app: legacy}}
spec: {address: 10.1.0.7, labels: {version: v1}}
`;
    const entry = se(`  hosts: [legacy.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n  workloadSelector: {labels: {app: legacy}}\n`);
    const { model, diagnostics: found } = load({ 'se.yaml': entry, 'we.yaml': we });
    expect(found).toEqual([]);
    expect(model!.serviceEntries![0]!.endpoints).toEqual([{ address: '10.1.0.7', ports: {}, labels: { app: 'legacy', version: 'v1' } }]);
    // Pods are not added: a selector that also selects mesh workloads says so.
    const pods = se(`  hosts: [legacy.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n  workloadSelector: {labels: {app: reviews}}\n`);
    expect(diagnostics({ 'se.yaml': pods })).toEqual([
      "se.yaml:8:3 warning: workloadSelector also selects the mesh's own workloads reviews-v1, reviews-v2; localmesh adds only WorkloadEntries to a ServiceEntry, not pods",
    ]);
  });

  it('leaves out a host that is a mesh service, and one another entry declared first', () => {
    const mesh = se(`  hosts: [reviews.default.svc.cluster.local]\n  ports: [{number: 9080, name: http, protocol: HTTP}]\n`);
    expect(diagnostics({ 'se.yaml': mesh })).toEqual([
      "se.yaml:5:11 warning: host 'reviews.default.svc.cluster.local' is the mesh service reviews; this ServiceEntry is not applied to it",
    ]);
    expect(diagnostics({ 'a.yaml': HTTPBIN, 'b.yaml': HTTPBIN.replace('name: ext', 'name: again') })).toEqual([
      "b.yaml:5:11 warning: host 'httpbin.org' is also declared by ServiceEntry ext; the first one (a.yaml:5:11) is applied",
    ]);
  });
});

describe('ServiceEntry hosts named by VirtualServices and DestinationRules', () => {
  const vs = (destination: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin.org]
  http:
  - timeout: 3s
    route: [{destination: ${destination}}]
`;

  it('a VirtualService for the host routes to it without a warning; a port the entry lacks is an error', () => {
    expect(diagnostics({ 'se.yaml': HTTPBIN, 'vs.yaml': vs('{host: httpbin.org, port: {number: 443}}') })).toEqual([]);
    expect(diagnostics({ 'se.yaml': HTTPBIN, 'vs.yaml': vs('{host: httpbin.org, port: {number: 8080}}') })).toEqual([
      'vs.yaml:8:62 error: ServiceEntry ext does not declare port 8080 for httpbin.org',
    ]);
    // Without the entry, the host is unknown, as before.
    expect(diagnostics({ 'vs.yaml': vs('{host: httpbin.org}') }, 'error')).toEqual(["vs.yaml:8:34 error: destination host 'httpbin.org' is not a service of the mesh"]);
  });

  it('a subset must be defined by a DestinationRule for the host, and should select endpoints', () => {
    expect(diagnostics({ 'se.yaml': HTTPBIN, 'vs.yaml': vs('{host: httpbin.org, subset: v1}') }, 'error')).toEqual([
      "vs.yaml:8:55 error: subset 'v1' of httpbin.org is not defined: no DestinationRule for httpbin.org",
    ]);
    const staticEntry = se(`  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n  endpoints: [{address: 10.0.0.1, labels: {version: a}}]\n`);
    const rule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api}
spec:
  host: api.example.com
  subsets: [{name: b, labels: {version: b}}]
`;
    expect(diagnostics({ 'se.yaml': staticEntry, 'dr.yaml': rule })).toEqual([
      "dr.yaml:6:20 warning: subset 'b' selects no endpoint of ServiceEntry ext, so traffic sent to it fails",
    ]);
  });

  it("checks a DestinationRule's tls as Istio does, and notes what is not applied", () => {
    const rule = (tls: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin.org
  trafficPolicy: {tls: ${tls}}
`;
    expect(diagnostics({ 'se.yaml': HTTPBIN, 'dr.yaml': rule('{mode: SIMPLE, sni: httpbin.org, caCertificates: ca.pem}') })).toEqual([]);
    expect(diagnostics({ 'se.yaml': HTTPBIN, 'dr.yaml': rule('{mode: SIMPLE, insecureSkipVerify: true, caCertificates: ca.pem}') }, 'error')).toEqual([
      'dr.yaml:6:65 error: cannot specify caCertificates when insecureSkipVerify is set true',
    ]);
    expect(diagnostics({ 'se.yaml': HTTPBIN, 'dr.yaml': rule('{mode: MUTUAL}') }, 'error')).toEqual([
      'dr.yaml:6:25 error: client certificate required for mutual tls',
      'dr.yaml:6:25 error: private key required for mutual tls',
    ]);
    // For a mesh service SIMPLE is not applied, as the warning says; ISTIO_MUTUAL and DISABLE are.
    expect(diagnostics({ 'dr.yaml': rule('{mode: SIMPLE}').replace('httpbin.org', 'reviews') })).toEqual([
      "dr.yaml:6:19 warning: DestinationRule spec.trafficPolicy.tls mode SIMPLE to a mesh service is accepted but not applied by localmesh: its sidecars use auto mTLS (or ISTIO_MUTUAL / DISABLE as a rule says)",
    ]);
    expect(diagnostics({ 'dr.yaml': rule('{mode: ISTIO_MUTUAL}').replace('httpbin.org', 'reviews') })).toEqual([]);
    expect(diagnostics({ 'dr.yaml': rule('{mode: DISABLE}').replace('httpbin.org', 'reviews') })).toEqual([]);
  });
});

describe('the outbound traffic policy', () => {
  it('is a Mesh setting: ALLOW_ANY or REGISTRY_ONLY', () => {
    const mesh = (mode: string) => ({
      'mesh.yaml': `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  settings: {outboundTrafficPolicy: {mode: ${mode}}}
  services:
    reviews: {ports: [{port: 9080}], versions: {v1: {image: reviews:1}}}
`,
    });
    expect(load(mesh('REGISTRY_ONLY')).model!.settings.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    expect(diagnostics(mesh('DENY'), 'error')).toHaveLength(1);
  });

  it("is read from an IstioOperator's meshConfig as Istio's docs set it; the rest of the operator is noted, not applied", () => {
    const operator = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  profile: demo
  meshConfig:
    accessLogFile: /dev/stdout
    outboundTrafficPolicy:
      mode: REGISTRY_ONLY
`;
    const { model, diagnostics: found } = load({ 'operator.yaml': operator });
    expect(model!.settings.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    expect(found.map((d) => `${d.file}:${d.line}:${d.col} ${d.severity}: ${d.message}`)).toEqual([
      'operator.yaml:2:1 warning: IstioOperator: only spec.meshConfig.outboundTrafficPolicy is applied by localmesh; spec.profile, spec.meshConfig.accessLogFile install Istio in a cluster and are not applied',
    ]);
  });
});
