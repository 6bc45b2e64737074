// Istio's bookinfo as its own repository ships it (Kubernetes workloads, Gateway, DestinationRules,
// a 90/10 VirtualService), unmodified: `mesh validate` accepts it, and every file `mesh generate`
// writes for it is accepted by the real `envoy --mode validate`.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../helpers/envoy.ts';
import { mesh } from '../integration/process/harness.ts';

const BOOKINFO = 'test/fixtures/istio/bookinfo';
let out: string | undefined;
afterAll(() => out && rm(out, { recursive: true, force: true }));

describe("Istio's bookinfo from its Kubernetes manifests", () => {
  it('validates', async () => {
    const result = await mesh('validate', BOOKINFO);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${BOOKINFO}: valid (4 services, 6 versions, 2 VirtualServices, 4 DestinationRules, 1 Gateways; 0 errors, 5 warnings)`);
  });

  it('generates a configuration per proxy that Envoy accepts', async () => {
    out = await mkdtemp(join(tmpdir(), 'localmesh-bookinfo-'));
    const result = await mesh('generate', BOOKINFO, '--out', out);
    expect(result.code, result.stderr).toBe(0);
    const files = (await readdir(join(out, 'envoy'))).sort();
    expect(files).toEqual(['details-v1.json', 'mesh-gateway.json', 'productpage-v1.json', 'ratings-v1.json', 'reviews-v1.json', 'reviews-v2.json', 'reviews-v3.json']);
    for (const file of files) await validateConfig(JSON.parse(await readFile(join(out, 'envoy', file), 'utf8')));
    const productpage = JSON.stringify(JSON.parse(await readFile(join(out, 'envoy', 'productpage-v1.json'), 'utf8')));
    expect(productpage).toContain(
      '"weighted_clusters":{"clusters":[{"name":"outbound|9080|v1|reviews.default.svc.cluster.local","weight":90},{"name":"outbound|9080|v2|reviews.default.svc.cluster.local","weight":10}]}',
    );
  }, 60_000);
});
