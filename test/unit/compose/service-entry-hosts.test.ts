// ServiceEntry hosts in the Compose stack: every pod's /etc/hosts answers them with the address
// Istio's DNS proxy would give (the entry's own one, else 240.240.0.N in declaration order), so
// an app resolves a made-up external name and its connection is captured by the sidecar.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { defaultImages } from '../../../src/compose/images.ts';
import { generateStack } from '../../../src/compose/stack.ts';
import { adsBootstrap } from '../../../src/xds/bootstrap.ts';

const MESH = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  services:
    web: {ports: [{port: 8080}], versions: {v1: {image: web:1}}}
`;

const ENTRIES = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api}
spec:
  hosts: [api.external.test, api2.external.test]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 10.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db}
spec:
  hosts: [db.external.test]
  addresses: [10.99.0.5]
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: any}
spec:
  hosts: ['*.wikipedia.org', github.com]
  ports: [{number: 443, name: https, protocol: HTTPS}]
`;

function pods(files: string[]) {
  const { model } = loadMeshFromSources(files.map((text, i) => ({ path: `f${i}.yaml`, text })));
  const stack = generateStack({ model: model!, meshDir: '/home/dev/shop', images: defaultImages(), apiPort: 15080, codeDir: '/opt/lm', bootstrap: adsBootstrap });
  return (parse(stack.compose) as { services: Record<string, Record<string, unknown>> }).services;
}

describe('ServiceEntry hosts in the Compose stack', () => {
  it("are in the pod holder's extra_hosts, which its app and proxy share; wildcard hosts and resolution NONE are the app's DNS's", () => {
    expect(pods([MESH, ENTRIES])['web-v1-pod']!['extra_hosts']).toEqual([
      'api.external.test:240.240.0.1',
      'api2.external.test:240.240.0.2',
      'db.external.test:10.99.0.5',
    ]);
  });

  it('leave the stack as it was without ServiceEntries', () => {
    expect(pods([MESH])['web-v1-pod']).not.toHaveProperty('extra_hosts');
  });

  it('mount the mesh directory at /mesh (where the control plane compiles it) into proxies only when a DestinationRule names a file there', () => {
    const rule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api}
spec:
  host: api.external.test
  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: certs/ca.pem}}
`;
    const services = pods([MESH, ENTRIES, rule]);
    expect(services['web-v1-proxy']!['volumes']).toEqual(['./.mesh/envoy/web-v1.json:/etc/envoy/bootstrap.json:ro', '.:/mesh:ro']);
    expect(services['mesh-gateway']!['volumes']).toEqual(['./.mesh/envoy/mesh-gateway.json:/etc/envoy/bootstrap.json:ro', '.:/mesh:ro']);
    expect(pods([MESH, ENTRIES])['web-v1-proxy']!['volumes']).toEqual(['./.mesh/envoy/web-v1.json:/etc/envoy/bootstrap.json:ro']);
  });
});
