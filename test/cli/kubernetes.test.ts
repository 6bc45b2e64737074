// Istio's samples as its repository ships them (Kubernetes workloads, Gateways, DestinationRules,
// VirtualServices), unmodified: `mesh validate` accepts them, and every file `mesh generate`
// writes for them is accepted by the real `envoy --mode validate`.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../helpers/envoy.ts';
import { mesh } from '../integration/process/harness.ts';

const temps: string[] = [];
afterAll(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

/** `mesh generate DIR` into a temporary folder; every file checked by Envoy; the configs by proxy. */
async function generated(dir: string): Promise<Record<string, string>> {
  const out = await mkdtemp(join(tmpdir(), 'localmesh-istio-'));
  temps.push(out);
  const result = await mesh('generate', dir, '--out', out);
  expect(result.code, result.stderr).toBe(0);
  const configs: Record<string, string> = {};
  for (const file of (await readdir(join(out, 'envoy'))).sort()) {
    const config = JSON.parse(await readFile(join(out, 'envoy', file), 'utf8'));
    await validateConfig(config);
    configs[file.replace(/\.json$/, '')] = JSON.stringify(config);
  }
  return configs;
}

describe("Istio's bookinfo: bookinfo.yaml, the gateway, destination-rule-all, reviews 90/10", () => {
  const DIR = 'test/fixtures/istio/bookinfo';

  it('validates', async () => {
    const result = await mesh('validate', DIR);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${DIR}: valid (4 services, 6 versions, 2 VirtualServices, 4 DestinationRules, 1 Gateways; 0 errors, 5 warnings)`);
  });

  it('generates a configuration per proxy that Envoy accepts, with the 90/10 split', async () => {
    const configs = await generated(DIR);
    expect(Object.keys(configs)).toEqual(['details-v1', 'mesh-gateway', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3']);
    expect(configs['productpage-v1']).toContain(
      '"weighted_clusters":{"clusters":[{"name":"outbound|9080|v1|reviews.default.svc.cluster.local","weight":90},{"name":"outbound|9080|v2|reviews.default.svc.cluster.local","weight":10}]}',
    );
  }, 60_000);
});

describe("Istio's httpbin and curl: a Service port (8000) other than the container's (8080)", () => {
  const DIR = 'test/fixtures/istio/httpbin';

  it('validates', async () => {
    const result = await mesh('validate', DIR);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${DIR}: valid (2 services, 2 versions, 1 VirtualServices, 0 DestinationRules, 1 Gateways; 0 errors, 3 warnings)`);
  });

  it('generates configurations Envoy accepts; the sidecar sends port 8000 to the app on 8080', async () => {
    const configs = await generated(DIR);
    expect(Object.keys(configs)).toEqual(['curl-latest', 'httpbin-v1', 'mesh-gateway']);
    expect(configs['httpbin-v1']).toContain(
      '"load_assignment":{"cluster_name":"inbound|8000||","endpoints":[{"lb_endpoints":[{"endpoint":{"address":{"socket_address":{"address":"127.0.0.1","port_value":8080}}}}]}]}',
    );
  }, 60_000);
});
