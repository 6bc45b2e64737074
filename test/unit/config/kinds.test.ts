// Which document is which, and schema errors at the offending node.
import { describe, expect, it } from 'vitest';
import { diagnostics, hints, load, MESH, REVIEWS_RULE } from './fixtures.ts';

const VS_HEAD = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
`;

describe('kinds', () => {
  it('requires a Mesh document and shows the minimal form', () => {
    const result = load({ 'mesh.yaml': REVIEWS_RULE });
    expect(result.diagnostics.map((d) => [d.file, d.line, d.col, d.message])).toEqual([
      ['mesh.yaml', 0, 0, 'no Mesh document and no Kubernetes Service: a mesh directory declares its services in one Mesh, or as Services and the Deployments they select'],
    ]);
    expect(result.diagnostics[0]!.hint).toContain('kind: Mesh');
    expect(result.model).toBeUndefined();
  });

  it('rejects a second Mesh document, pointing at the first', () => {
    expect(diagnostics({ 'more.yaml': MESH })).toEqual([
      'more.yaml:2:7 error: a mesh directory holds exactly one Mesh document; this is a second one',
    ]);
    expect(hints({ 'more.yaml': MESH })).toEqual(['the first is at mesh.yaml:2:7; merge the services into it']);
  });

  it('suggests the nearest kind for a typo', () => {
    expect(diagnostics({ 'vs.yaml': 'apiVersion: networking.istio.io/v1\nkind: VirtualServce\n' })).toEqual([
      "vs.yaml:2:7 error: unknown kind 'VirtualServce'; did you mean VirtualService?",
    ]);
  });

  it('lists the kinds it reads when a kind is not close to any', () => {
    expect(diagnostics({ 'd.yaml': 'apiVersion: example.com/v1\nkind: Frobnicator\nmetadata: {name: x}\n' })).toEqual([
      "d.yaml:2:7 error: unknown kind 'Frobnicator'",
    ]);
    expect(hints({ 'd.yaml': 'apiVersion: example.com/v1\nkind: Frobnicator\n' })).toEqual([
      'localmesh reads Mesh, VirtualService, DestinationRule, Gateway, ServiceEntry, WorkloadEntry, IstioOperator, PeerAuthentication, AuthorizationPolicy, RequestAuthentication, Service, Deployment, StatefulSet, Gateway (gateway.networking.k8s.io), HTTPRoute, Canary',
    ]);
  });

  it('names a kind localmesh does not support yet', () => {
    expect(diagnostics({ 'sc.yaml': 'apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: x}\n' })).toEqual([
      'sc.yaml:2:7 error: Sidecar is not supported yet by localmesh',
    ]);
    expect(diagnostics({ 't.yaml': 'apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: x}\n' })).toEqual([
      't.yaml:2:7 warning: Telemetry is not supported yet by localmesh',
    ]);
  });

  it('says which apiVersions a kind accepts', () => {
    expect(diagnostics({ 'vs.yaml': 'apiVersion: networking.istio.io/v2\nkind: VirtualService\n' })).toEqual([
      "vs.yaml:1:13 error: apiVersion 'networking.istio.io/v2' is not valid for VirtualService",
    ]);
    expect(hints({ 'vs.yaml': 'apiVersion: networking.istio.io/v2\nkind: VirtualService\n' })).toEqual([
      'VirtualService accepts apiVersion networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3',
    ]);
  });

  it('reports a document without a kind', () => {
    expect(diagnostics({ 'x.yaml': 'apiVersion: v1\nmetadata: {name: x}\n' })).toEqual(['x.yaml:1:1 error: this document has no kind']);
  });
});

describe('schema errors', () => {
  it('points at an unknown field and suggests the known one', () => {
    const vs = `${VS_HEAD}spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
      weigth: 100
`;
    expect(diagnostics({ 'vs.yaml': vs })).toEqual([
      "vs.yaml:9:7 error: unknown field 'weigth' in VirtualService spec.http[0].route[0]; did you mean 'weight'?",
    ]);
  });

  it('says what type was expected and what was found', () => {
    const vs = `${VS_HEAD}spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
      weight: "100"
`;
    expect(diagnostics({ 'vs.yaml': vs })).toEqual([
      "vs.yaml:9:15 error: VirtualService spec.http[0].route[0].weight: expected a number, got a string ('100')",
    ]);
  });

  it('lists the allowed values of an enum', () => {
    const mesh = MESH.replace('{port: 9090, protocol: grpc}', '{port: 9090, protocol: grcp}');
    expect(diagnostics({ 'mesh.yaml': mesh })).toEqual([
      "mesh.yaml:12:52 error: Mesh spec.services.ratings.ports[1].protocol: 'grcp' is not allowed; expected one of http, http2, grpc, tcp; did you mean 'grpc'?",
    ]);
  });

  it('points at the parent object of a missing required field', () => {
    const vs = `${VS_HEAD}spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {subset: v1}
`;
    expect(diagnostics({ 'vs.yaml': vs })).toEqual([
      "vs.yaml:8:20 error: missing field 'host' in VirtualService spec.http[0].route[0].destination",
    ]);
  });

  it('reports an empty list that needs entries', () => {
    expect(diagnostics({ 'vs.yaml': `${VS_HEAD}spec:\n  hosts: []\n` })).toEqual([
      'vs.yaml:5:10 error: VirtualService spec.hosts needs at least 1 entry',
    ]);
  });

  it('explains a value that fits none of the forms of a field', () => {
    const mesh = MESH.replace('v1: {image: ratings:1}', 'v1: {build: 5}');
    expect(diagnostics({ 'mesh.yaml': mesh })).toEqual([
      'mesh.yaml:14:21 error: Mesh spec.services.ratings.versions.v1.build: expected a string or a mapping, got a number (5)',
    ]);
  });
});
