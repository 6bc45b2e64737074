// Faults show where the user looks: examples/canary on the process runtime at 50/50, the `f` key's
// edit saved into reviews.yaml (delay 1 s on 50%, then abort 503 on 50%), traffic through the
// gateway, and the traffic pane's reviews row computed from the control plane's /traffic — which
// must count the requests the fault answered and the time it held them, as the caller saw them.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { setFault, type FaultKind } from '../../../src/config/edit-fault.ts';
import { loadMesh } from '../../../src/config/index.ts';
import type { TrafficReport } from '../../../src/control/traffic.ts';
import { unsynced } from '../../../src/runtime/readiness.ts';
import { initialState, reduce } from '../../../src/tui/state.ts';
import { trafficRows, type TrafficRow } from '../../../src/tui/view.ts';
import { getJson, mesh, sleep, startLoad, upExample } from '../process/harness.ts';

const PROXIES = ['mesh-gateway', 'reviews-v1', 'reviews-v2'];
const canary = upExample('canary', {
  prepare: async (dir) => {
    const file = join(dir, 'reviews.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('weight: 90', 'weight: 50').replace('weight: 10', 'weight: 50'));
  },
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** What `f` writes (the dashboard's own edit), saved as editors do; resolves once every proxy serves it. */
async function injectFault(kind: FaultKind): Promise<void> {
  const { model } = await loadMesh(canary.dir);
  const vs = model!.virtualServices.find((v) => v.name === 'reviews')!;
  const file = join(canary.dir, 'reviews.yaml');
  const edit = setFault(await readFile(file, 'utf8'), { vs, index: 0 }, kind);
  if ('error' in edit) throw new Error(edit.error.message);
  await writeFile(`${file}.tmp~`, edit.text);
  await rename(`${file}.tmp~`, file);
  const field = kind === 'delay' ? 'fixed_delay' : 'http_status';
  await waitFor(`the gateway serves the ${kind}`, async () => {
    const routes = JSON.stringify(await getJson(`${canary.api}/proxies/mesh-gateway/config?type=routes`));
    return routes.includes(field) && (kind === 'abort' || !routes.includes('http_status')) && (await unsynced(canary.api, PROXIES)).length === 0;
  });
}

/** 8 callers for `ms` through the gateway; then what they saw, and the pane's reviews row over that time. */
async function measure(ms: number): Promise<{ errorRate: number; p99: number; n: number; counted: number; row: TrafficRow }> {
  const started = Date.now();
  const load = startLoad(canary.gatewayPort, 8);
  await sleep(ms);
  const responses = await load.stop();
  // Counters move at once, histograms at each stats flush (1 s), the scraper reads every second.
  await sleep(2500);
  const report = await getJson<TrafficReport>(`${canary.api}/traffic?window=${Math.ceil((Date.now() - started) / 1000) * 1000}`);
  const state = reduce(initialState({ api: canary.api }), { type: 'traffic', traffic: report });
  const row = trafficRows(state).find((r) => r.service === 'reviews' && r.subset === '');
  if (!row) throw new Error(`no reviews row in ${JSON.stringify(report)}`);
  const latencies = responses.map((r) => r.ms).sort((a, b) => a - b);
  return {
    n: responses.length,
    errorRate: responses.filter((r) => r.status >= 500).length / responses.length,
    p99: latencies[Math.min(latencies.length - 1, Math.ceil(0.99 * latencies.length) - 1)]!,
    counted: report.subsets.filter((s) => s.host.startsWith('reviews.')).reduce((n, s) => n + s.requests, 0),
    row,
  };
}

beforeAll(async () => {
  await waitFor('every proxy SYNCED', async () => (await unsynced(canary.api, PROXIES)).length === 0);
}, 30_000);

describe('a fault set with f shows in the traffic pane', () => {
  it('delay 1 s on 50%: the reviews row’s p99 is at least the delay, as the callers measured', async () => {
    await injectFault('delay');
    const seen = await measure(4000);
    console.log(`delay: ${seen.n} requests, callers' p99 ${seen.p99.toFixed(0)} ms; pane p50 ${seen.row.p50Ms} ms, p99 ${seen.row.p99Ms} ms, err ${seen.row.errorRate}`);
    expect(seen.p99).toBeGreaterThanOrEqual(1000);
    expect(seen.row.p99Ms).toBeGreaterThanOrEqual(1000);
    expect(seen.row.errorRate).toBe(0);
  }, 30_000);

  it('abort 503 on 50%: the reviews row’s error rate is about half, as the callers saw', async () => {
    await injectFault('abort');
    await sleep(3000); // the requests of the delay test out of the window
    const seen = await measure(3000);
    console.log(`abort: ${seen.n} requests (${seen.counted} counted), callers' 5xx ${(100 * seen.errorRate).toFixed(1)}%; pane err ${(100 * seen.row.errorRate!).toFixed(1)}%, ${seen.row.rps} rps, p99 ${seen.row.p99Ms} ms`);
    expect(seen.errorRate).toBeGreaterThan(0.35);
    expect(seen.row.errorRate).toBeGreaterThan(0.35);
    expect(seen.row.errorRate).toBeLessThan(0.65);
    // Every request the callers sent is counted, those the fault answered too.
    expect(seen.counted).toBeGreaterThan(seen.n * 0.9);
    expect(Math.abs(seen.row.errorRate! - seen.errorRate)).toBeLessThan(0.1);
  }, 30_000);
});
