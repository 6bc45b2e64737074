// Namespaces in the Mesh document and across kinds: a service's own `namespace`, names checked
// as Kubernetes checks them, and one service name per mesh (workloads are named SERVICE-VERSION).
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../src/config/index.ts';

const mesh = (services: string) => `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: ns, namespace: shop}
spec:
  services:
${services}`;

const lines = (files: Record<string, string>) =>
  loadMeshFromSources(Object.entries(files).map(([path, text]) => ({ path, text }))).diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.severity}: ${d.message}`);

describe('namespaces of services', () => {
  it("takes a service's namespace from its own field, else the Mesh document's", () => {
    const { model } = loadMeshFromSources([{ path: 'mesh.yaml', text: mesh(`    web: {ports: [{port: 80}], versions: {v1: {image: w}}}
    pricing: {namespace: billing, ports: [{port: 80}], versions: {v1: {image: p}}}
`) }]);
    expect(model!.services.map((s) => [s.name, s.namespace])).toEqual([['pricing', 'billing'], ['web', 'shop']]);
  });

  it('rejects a namespace that is not a DNS label, at the field', () => {
    expect(lines({ 'mesh.yaml': mesh(`    web: {namespace: Shop_1, ports: [{port: 80}], versions: {v1: {image: w}}}\n`) })).toEqual([
      "mesh.yaml:6:22 error: namespace 'Shop_1' is not a valid DNS label: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
    ]);
  });

  it('rejects one service name in two namespaces, pointing at the first', () => {
    const service = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`;
    const { diagnostics } = loadMeshFromSources([
      { path: 'mesh.yaml', text: mesh(`    web: {ports: [{port: 80}], versions: {v1: {image: w}}}\n`) },
      { path: 'svc.yaml', text: service },
    ]);
    const errors = diagnostics.filter((d) => d.message.includes('namespace other'));
    expect(errors.map((d) => `${d.file}:${d.line} ${d.message}`)).toEqual(['svc.yaml:3 service web is declared in namespace other and in namespace shop']);
    expect(errors[0]!.hint).toContain('the other is at mesh.yaml:6:5');
  });
});
