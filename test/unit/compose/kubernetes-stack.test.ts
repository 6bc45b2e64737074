// The Compose stack of a mesh declared by Kubernetes manifests (Istio's bookinfo.yaml, unmodified):
// each Deployment's container runs under its own image, with its env values.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadMesh } from '../../../src/config/index.ts';
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
