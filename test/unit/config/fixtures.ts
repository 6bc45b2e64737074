// Inline meshes for the config tests: a base Mesh, and diagnostics as one line each
// (`FILE:LINE:COL severity: message`) so a test states the message and the place together.
import { loadMeshFromSources } from '../../../src/config/index.ts';

export const MESH = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  services:
    reviews:
      ports: [{port: 9080}]
      versions:
        v1: {image: reviews:1}
        v2: {image: reviews:2}
    ratings:
      ports: [{port: 9080}, {port: 9090, protocol: grpc}]
      versions:
        v1: {image: ratings:1}
`;

/** A Gateway document, for files where an edit must leave another document untouched. */
export const EDGE_GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ['*']
`;

export const REVIEWS_RULE = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

/** Load `mesh.yaml` (MESH unless given) and the other files; `files` maps path → text. */
export function load(files: Record<string, string>) {
  const all = { 'mesh.yaml': MESH, ...files };
  return loadMeshFromSources(Object.entries(all).map(([path, text]) => ({ path, text })));
}

export function diagnostics(files: Record<string, string>, severity?: 'error' | 'warning'): string[] {
  return load(files)
    .diagnostics.filter((d) => !severity || d.severity === severity)
    .map((d) => `${d.file}:${d.line}:${d.col} ${d.severity}: ${d.message}`);
}

export function hints(files: Record<string, string>): string[] {
  return load(files).diagnostics.flatMap((d) => (d.hint ? [d.hint] : []));
}
