// mesh validate --analyze, one analyzer (or Istio code) at a time: a YAML input and the findings,
// each as `FILE:LINE:COL severity [CODE] message`. Codes appear only with --analyze.
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../../src/config/index.ts';
import { MESH, REVIEWS_RULE } from '../fixtures.ts';

function analyzed(files: Record<string, string>, analyze = true): string[] {
  const all = { 'mesh.yaml': MESH, ...files };
  return loadMeshFromSources(Object.entries(all).map(([path, text]) => ({ path, text })), 'dir', 'dir', { analyze })
    .diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.severity}${d.code ? ` [${d.code}]` : ''} ${d.message}`);
}

/** Only the findings with a code. */
const coded = (files: Record<string, string>) => analyzed(files).filter((l) => / \[IST\d{4}\] /.test(l));

const GATEWAY = (name: string, selector = 'istio: ingressgateway', host = "'*'") => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}}
spec:
  selector: {${selector}}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [${host}]
`;

const VS = (body: string, name = 'reviews') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
${body}`;

describe('IST0101 ReferencedResourceNotFound', () => {
  it('a destination host, a subset, a gateway that is not there (the validator finds them; --analyze adds the code)', () => {
    const files = {
      'dr.yaml': REVIEWS_RULE,
      'vs.yaml': VS(`  hosts: [reviews]
  gateways: [edge, mesh]
  http:
  - route:
    - destination: {host: reviewz}
    - destination: {host: reviews, subset: v9}
`),
    };
    expect(coded(files)).toEqual([
      "vs.yaml:6:14 error [IST0101] gateway 'edge' is not defined",
      "vs.yaml:9:27 error [IST0101] destination host 'reviewz' is not a service of the mesh; did you mean 'reviews'?",
      "vs.yaml:10:44 error [IST0101] subset 'v9' is not defined by DestinationRule reviews for reviews",
    ]);
    expect(analyzed(files, false).filter((l) => l.includes('[IST'))).toEqual([]);
  });

  it("a Gateway selector that selects no pod (a warning: localmesh's gateway serves it anyway)", () => {
    expect(coded({ 'gw.yaml': GATEWAY('edge', 'istio: ingress-gateway') })).toEqual([
      'gw.yaml:5:14 warning [IST0101] Referenced selector not found: "istio=ingress-gateway"',
    ]);
    expect(coded({ 'gw.yaml': GATEWAY('edge') })).toEqual([]);
    expect(coded({ 'gw.yaml': GATEWAY('edge', 'app: reviews, version: v2') })).toEqual([]);
  });
});

describe('IST0106 SchemaValidationError', () => {
  it("on Istio's kinds, not on localmesh's own", () => {
    expect(coded({ 'vs.yaml': VS('  hosts: [reviews]\n  htp: []\n') })[0]).toMatch(/^vs\.yaml:6:3 error \[IST0106\] /);
    expect(coded({ 'mesh.yaml': MESH.replace('  services:', '  servces: {}\n  services:') })).toEqual([]);
  });
});

describe('IST0107 MisplacedAnnotation, IST0108 UnknownAnnotation', () => {
  const service = (annotations: string) => `apiVersion: v1
kind: Service
metadata:
  name: details
  annotations: {${annotations}}
spec:
  selector: {app: details}
  ports: [{name: http, port: 9080}]
`;
  const deployment = (annotations: string, template: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: details-v1
  annotations: {${annotations}}
spec:
  selector: {matchLabels: {app: details}}
  template:
    metadata:
      labels: {app: details, version: v1}
      annotations: {${template}}
    spec:
      containers: [{name: details, image: details:1, ports: [{containerPort: 9080}]}]
`;
  it("an Istio annotation Istio does not define, or one on a kind it does not apply to; others' annotations are left alone", () => {
    expect(coded({ 'k8s.yaml': [service('sidecar.istio.io/injectt: "true", networking.istio.io/exportTo: ".", example.com/owner: me'), deployment('sidecar.istio.io/inject: "false"', 'sidecar.istio.io/inject: "true", proxy.istio.io/config: "{}"')].join('---\n') })).toEqual([
      'k8s.yaml:5:17 warning [IST0108] Unknown annotation: sidecar.istio.io/injectt',
      'k8s.yaml:14:17 warning [IST0107] Misplaced annotation: sidecar.istio.io/inject can only be applied to Pod',
    ]);
  });

  it('on the pod template: Pod annotations are at home, Service ones misplaced', () => {
    expect(coded({ 'k8s.yaml': [service(''), deployment('', 'networking.istio.io/exportTo: ".", sidecar.istio.io/logLevel: debug')].join('---\n') })).toEqual([
      'k8s.yaml:20:21 warning [IST0107] Misplaced annotation: networking.istio.io/exportTo can only be applied to Service',
    ]);
  });
});

describe('IST0109 ConflictingMeshGatewayVirtualServiceHosts', () => {
  it('two VirtualServices for one host in the sidecars', () => {
    const route = '  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews}}]\n';
    expect(coded({ 'a.yaml': VS(route, 'a'), 'b.yaml': VS(route, 'b') })).toEqual([
      'b.yaml:5:11 error [IST0109] another VirtualService already routes reviews for the sidecars',
    ]);
  });
});

describe('IST0112 VirtualServiceDestinationPortSelectorRequired', () => {
  it('a route to a service with several ports and no port: the sidecars (analyzer) and a gateway (validator)', () => {
    expect(coded({ 'vs.yaml': VS('  hosts: [ratings]\n  http:\n  - route: [{destination: {host: ratings}}]\n') })).toEqual([
      'vs.yaml:7:27 error [IST0112] This VirtualService routes to a service "ratings" that exposes multiple ports [9080 9090]. Specifying a port in the destination is required to disambiguate.',
    ]);
    expect(coded({ 'vs.yaml': VS('  hosts: [ratings]\n  http:\n  - route: [{destination: {host: ratings, port: {number: 9080}}}]\n') })).toEqual([]);
    expect(coded({ 'vs.yaml': VS('  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews}}]\n') })).toEqual([]);
    expect(coded({ 'gw.yaml': GATEWAY('edge'), 'vs.yaml': VS("  hosts: ['*']\n  gateways: [edge]\n  http:\n  - route: [{destination: {host: ratings}}]\n") })).toEqual([
      "vs.yaml:8:27 error [IST0112] service ratings has several ports (9080, 9090); a route from a gateway must choose one",
    ]);
  });
});

describe('IST0128 / IST0129 NoServerCertificateVerification', () => {
  const rule = (policy: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
${policy}`;
  it('TLS origination (SIMPLE, MUTUAL) without caCertificates, for the destination and per port', () => {
    expect(coded({ 'dr.yaml': rule('    tls: {mode: SIMPLE}\n    portLevelSettings:\n    - port: {number: 9080}\n      tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem}\n') })).toEqual([
      'dr.yaml:7:11 warning [IST0128] DestinationRule reviews in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: reviews',
      'dr.yaml:10:13 warning [IST0129] DestinationRule reviews in namespace default has TLS mode set to MUTUAL but no caCertificates are set to validate server identity for host: reviews at port 9080',
    ]);
    expect(coded({ 'dr.yaml': rule('    tls: {mode: SIMPLE, caCertificates: /ca.pem}\n') })).toEqual([]);
    expect(coded({ 'dr.yaml': rule('    tls: {mode: ISTIO_MUTUAL}\n') })).toEqual([]);
  });
});

describe('IST0132 VirtualServiceHostNotFoundInGateway', () => {
  it("a VirtualService none of whose hosts the Gateway serves (the validator's warning, with the code)", () => {
    expect(coded({ 'gw.yaml': GATEWAY('edge', 'istio: ingressgateway', 'shop.example.com'), 'vs.yaml': VS('  hosts: [books.example.com]\n  gateways: [edge]\n  http:\n  - route: [{destination: {host: reviews}}]\n') })).toEqual([
      'vs.yaml:5:10 warning [IST0132] none of the hosts of VirtualService reviews (books.example.com) is served by Gateway default/edge, so the gateway never uses it',
    ]);
  });
});

describe('IST0145 ConflictingGateways', () => {
  it('two Gateways for the same pods with a server on the same port and host', () => {
    expect(coded({ 'a.yaml': GATEWAY('a'), 'b.yaml': GATEWAY('b') })).toEqual([
      'a.yaml:7:20 error [IST0145] Conflict with gateways default/b (workload selector istio=ingressgateway, port 80, hosts *).',
      'b.yaml:7:20 error [IST0145] Conflict with gateways default/a (workload selector istio=ingressgateway, port 80, hosts *).',
    ]);
    expect(coded({ 'a.yaml': GATEWAY('a', 'istio: ingressgateway', 'a.example.com'), 'b.yaml': GATEWAY('b', 'istio: ingressgateway', 'b.example.com') })).toEqual([]);
    // Selectors that differ in text but select the same pod.
    expect(coded({ 'a.yaml': GATEWAY('a'), 'b.yaml': GATEWAY('b', 'app: istio-ingressgateway') })).toHaveLength(2);
  });
});

describe('IST0173 DestinationRuleSubsetNotSelectPods, IST0174 UnknownDestinationRuleHost', () => {
  it("the validator's findings, with Istio's codes", () => {
    expect(coded({ 'dr.yaml': REVIEWS_RULE.replace('{name: v2, labels: {version: v2}}', '{name: v3, labels: {version: v3}}') })).toEqual([
      "dr.yaml:8:12 warning [IST0173] subset 'v3' selects no version of reviews (labels version=v3), so traffic sent to it fails",
    ]);
    expect(coded({ 'dr.yaml': REVIEWS_RULE.replace('host: reviews', 'host: reviewz') })).toEqual([
      "dr.yaml:5:9 error [IST0174] DestinationRule host 'reviewz' is not a service of the mesh; did you mean 'reviews'?",
    ]);
  });
});

describe("a mesh without a mistake", () => {
  it("has nothing to report", () => {
    expect(coded({ 'dr.yaml': REVIEWS_RULE })).toEqual([]);
  });
});
