// The Compose stack of a mesh declared by Kubernetes manifests (Istio's bookinfo.yaml, unmodified):
// each Deployment's container runs under its own image, with its env values.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadMesh, loadMeshFromSources } from '../../../src/config/index.ts';
import { defaultImages } from '../../../src/compose/images.ts';
import { generateStack } from '../../../src/compose/stack.ts';
import { adsBootstrap } from '../../../src/xds/bootstrap.ts';

describe("generateStack: Istio's bookinfo from bookinfo.yaml", async () => {
  const { model } = await loadMesh('test/fixtures/istio/bookinfo');
  const stack = generateStack({ model: model!, meshDir: '/home/dev/bookinfo', images: defaultImages(), apiPort: 15080, codeDir: '/opt/lm', bootstrap: adsBootstrap });
  const services = (parse(stack.compose) as { services: Record<string, { image?: string; environment?: Record<string, string> }> }).services;

  it('runs every Deployment under its image, with its env values', () => {
    const apps = Object.entries(services).filter(([name]) => /^(details|productpage|ratings|reviews)-v\d$/.test(name));
    expect(apps.map(([name, s]) => `${name} ${s.image}`)).toEqual([
      'details-v1 registry.istio.io/release/examples-bookinfo-details-v1:1.20.3',
      'productpage-v1 registry.istio.io/release/examples-bookinfo-productpage-v1:1.20.3',
      'ratings-v1 registry.istio.io/release/examples-bookinfo-ratings-v1:1.20.3',
      'reviews-v1 registry.istio.io/release/examples-bookinfo-reviews-v1:1.20.3',
      'reviews-v2 registry.istio.io/release/examples-bookinfo-reviews-v2:1.20.3',
      'reviews-v3 registry.istio.io/release/examples-bookinfo-reviews-v3:1.20.3',
    ]);
    expect(services['reviews-v2']!.environment).toMatchObject({ LOG_DIR: '/tmp/logs', PORT: '9080' });
    expect(stack.compose).toContain("from the mesh 'bookinfo'");
  });
});

describe('generateStack: a container command replaces the image entrypoint, args only its default command', () => {
  const manifest = (container: string) => `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, version: v1}}
    spec:
      containers: [{name: web, image: web:1, ${container}}]
`;
  const app = (container: string) => {
    const { model } = loadMeshFromSources([{ path: 'k.yaml', text: manifest(container) }]);
    const stack = generateStack({ model: model!, meshDir: '/home/dev/web', images: defaultImages(), apiPort: 15080, codeDir: '/opt/lm', bootstrap: adsBootstrap });
    const { entrypoint, command } = (parse(stack.compose) as { services: Record<string, { entrypoint?: string[]; command?: string[] }> }).services['web-v1']!;
    return { entrypoint, command };
  };

  it('runs command and args as the entrypoint, as Kubernetes does', () => {
    expect(app('command: [/bin/sleep], args: [infinity]')).toEqual({ entrypoint: ['/bin/sleep', 'infinity'], command: undefined });
  });

  it("keeps the image's entrypoint for args only", () => {
    expect(app('args: [--port, "8080"]')).toEqual({ entrypoint: undefined, command: ['--port', '8080'] });
  });
});

describe("generateStack: Services naming versions (Istio's bookinfo-versions.yaml)", () => {
  it("a version's pod also carries the names of the Services that select it, so Compose DNS answers reviews-v2", async () => {
    const { readFile } = await import('node:fs/promises');
    const files = ['test/fixtures/istio/bookinfo/bookinfo.yaml', 'test/fixtures/istio/gateway-api/bookinfo/bookinfo-versions.yaml'];
    const { model } = loadMeshFromSources(await Promise.all(files.map(async (path) => ({ path, text: await readFile(path, 'utf8') }))));
    const stack = generateStack({ model: model!, meshDir: '/home/dev/bookinfo', images: defaultImages(), apiPort: 15080, codeDir: '/opt/lm', bootstrap: adsBootstrap });
    const services = (parse(stack.compose) as { services: Record<string, { networks?: Record<string, { aliases?: string[] }> }> }).services;
    const aliases = (pod: string) => Object.values(services[pod]!.networks ?? {}).flatMap((n) => n.aliases ?? []);
    expect(aliases('reviews-v2-pod')).toEqual(expect.arrayContaining(['reviews', 'reviews-v2', 'reviews-v2.default', 'reviews-v2.default.svc.cluster.local']));
    expect(aliases('reviews-v2-pod')).not.toContain('reviews-v1');
    // Nothing runs for them: the pods are those of the Deployments.
    expect(Object.keys(services).filter((n) => n.endsWith('-pod')).sort()).toEqual(
      ['details-v1-pod', 'productpage-v1-pod', 'ratings-v1-pod', 'reviews-v1-pod', 'reviews-v2-pod', 'reviews-v3-pod']);
  });
});
