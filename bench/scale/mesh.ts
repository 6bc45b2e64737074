// The generated mesh of bench/scale: SERVICES services × VERSIONS versions, one sidecar per
// (service, version) and the gateway. One VirtualService for s0, bound to the gateway and to
// `mesh`, splits s0's traffic over its versions; every sidecar routes to s0, so each weight edit
// changes the routes of every proxy. Shape: versions rather than services carry N, because a
// sidecar's config grows with the services it can reach (one outbound cluster each, plus subsets)
// and the mesh's total with N × services: 50 services × 20 versions keeps 1000 proxies at ~70
// clusters each, where 1000 × 1 would give every proxy 1000 clusters (a million in all).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MeshShape {
  services: number;
  versions: number;
}

/** The shape for N sidecars: 20 versions per service, N / 20 services. */
export function shapeFor(n: number): MeshShape {
  const versions = Math.min(20, n);
  return { services: Math.ceil(n / versions), versions };
}

export const sidecarIds = (shape: MeshShape): Array<{ id: string; service: string; version: string }> =>
  Array.from({ length: shape.services }, (_, s) =>
    Array.from({ length: shape.versions }, (_, v) => ({ id: `s${s}-v${v + 1}`, service: `s${s}`, version: `v${v + 1}` })),
  ).flat();

export const GATEWAY_ID = 'mesh-gateway';
export const EDITED_FILE = 'istio.yaml';
export const EDITED_HOST = 's0';

/** Writes mesh.yaml and istio.yaml into `dir` (created). */
export async function writeMesh(dir: string, shape: MeshShape): Promise<void> {
  const versions = Array.from({ length: shape.versions }, (_, v) => `v${v + 1}`);
  const services = Array.from({ length: shape.services }, (_, s) => `s${s}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'mesh.yaml'), `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: { name: scale-bench }
spec:
  settings: { gateway: { ports: { "80": 8080 } } }
  services:
${services.map((s) => `    ${s}:
      ports: [{ port: 9080, protocol: http }]
      versions:
${versions.map((v) => `        ${v}: { image: example/app, env: { UPSTREAMS: "http://s0:9080/" } }`).join('\n')}`).join('\n')}
`);
  const weights = versions.map((_, i) => (i === 0 ? 80 : i === 1 ? 20 : 0));
  await writeFile(join(dir, EDITED_FILE), `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
# Bound to the gateway and to every sidecar: each edit reaches every proxy.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${EDITED_HOST} }
spec:
  hosts: [${EDITED_HOST}]
  gateways: [gw, mesh]
  http:
    - route:
${versions.map((v, i) => `        - destination: { host: ${EDITED_HOST}, subset: ${v} }\n          weight: ${weights[i]}`).join('\n')}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${EDITED_HOST} }
spec:
  host: ${EDITED_HOST}
  subsets: [${versions.map((v) => `{ name: ${v}, labels: { version: ${v} } }`).join(', ')}]
`);
}
