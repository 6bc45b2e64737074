// `mesh test --live` on examples/shop running on the process runtime: every request of
// routes.test.yaml sent through the real gateway or the source's sidecar agrees with the offline
// verdict, and a live answer that contradicts an offline decision is reported.
import { describe, expect, it } from 'vitest';
import { loadMesh } from '../../../src/config/index.ts';
import { compileMesh } from '../../../src/compile/index.ts';
import { loopbackAddressing } from '../../../src/compile/addressing.ts';
import { readTestFiles } from '../../../src/routetest/file.ts';
import { checkLive, SPLIT_SAMPLES } from '../../../src/routetest/live.ts';
import { runTest } from '../../../src/routetest/verdict.ts';
import { mesh, upExample } from './harness.ts';

const shop = upExample('shop');

interface LiveRow {
  test: string;
  passed: boolean;
  live: Array<{ proxy: string; statuses: number[]; versions: string[]; disagreement?: string }>;
}

describe('mesh test --live on the process runtime', () => {
  it('examples/shop/routes.test.yaml: the proxies do what the offline verdict says, for every test', async () => {
    const run = await mesh('test', shop.dir, '--live', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const { tests } = JSON.parse(run.stdout) as { tests: LiveRow[] };
    expect(tests).toHaveLength(8);
    for (const t of tests) {
      expect(t.passed, t.test).toBe(true);
      expect(t.live.length, t.test).toBeGreaterThan(0);
      for (const c of t.live) expect(c.disagreement, `${t.test} from ${c.proxy}`).toBeUndefined();
    }
    const by = (name: string) => tests.find((t) => t.test === name)!.live[0]!;
    expect(by('testers get the new pricing')).toMatchObject({ proxy: 'catalog-v1', statuses: [200], versions: ['pricing v2'] });
    expect(by('other users stay on v1')).toMatchObject({ versions: ['pricing v1'] });
    expect(by('old shop links redirect home')).toMatchObject({ proxy: 'mesh-gateway', statuses: [301], versions: [] });
    expect(by('the storefront goes to the frontend').versions).toEqual(['frontend v1']);
    // The cart's fault aborts some requests: sampled, an abort is one of the expected answers.
    expect(by('cart calls are slowed and sometimes fail').versions).toEqual(['cart v1']);

    const table = await mesh('test', shop.dir, '--live');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('8 tests: 8 passed, 0 failed (offline and live through the proxies)');
  }, 60_000);

  it('a live answer that contradicts the offline decision is a disagreement', async () => {
    const { model } = await loadMesh(shop.dir);
    const compiled = compileMesh(model!, loopbackAddressing(model!, 20_000));
    const { tests } = await readTestFiles([`${shop.dir}/routes.test.yaml`]);
    const testers = runTest(model!, compiled, tests.find((t) => t.name === 'testers get the new pricing')!).outcomes[0]!;
    // The decision for testers (pricing v2), with a request that is not a tester's.
    const forged = { ...testers, probe: { ...testers.probe, request: { ...testers.probe.request, headers: { 'end-user': 'alice' } } } };
    const check = await checkLive(shop.api, model!, forged);
    // From a sidecar, both ways an app's HTTP client uses its proxy: absolute form and CONNECT (fetch).
    expect(check.observed.map((o) => [o.via, o.status, o.version])).toEqual([['absolute', 200, 'v1'], ['connect', 200, 'v1']]);
    expect(check.disagreement).toBe('offline: pricing v2; live (absolute): 200 from pricing v1');
    const right = await checkLive(shop.api, model!, testers);
    expect(right.observed.map((o) => [o.via, o.version])).toEqual([['absolute', 'v2'], ['connect', 'v2']]);
    expect(right.disagreement).toBeUndefined();
    expect(SPLIT_SAMPLES).toBeGreaterThan(1);
  });
});
