// GET /graph on a real socket: the recorder's report for the window and the services asked by
// version; a window it does not keep is refused with a sentence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiServer } from '../../../src/control/api.ts';
import type { ControlStatus } from '../../../src/control/controller.ts';
import { eventLog } from '../../../src/control/events.ts';
import { graphRecorder } from '../../../src/control/graph-recorder.ts';
import type { GraphReport } from '../../../src/control/graph.ts';
import { tapStore } from '../../../src/control/tap.ts';
import type { TapEntry } from '../../../src/xds/access-log.ts';

const tap = tapStore();
let now = 0;
const recorder = graphRecorder(tap, { now: () => now });
let api: ApiServer;
const get = async (path: string) => {
  const response = await fetch(`http://127.0.0.1:${api.port}${path}`);
  return { status: response.status, body: (await response.json()) as GraphReport & { error?: string } };
};

const entry = (proxy: string, upstreamCluster: string, at: number, status = 200): TapEntry => ({
  at, proxy, listener: 'outbound', method: 'GET', authority: 'x', path: '/', status, flags: [], upstreamCluster, durationMs: 4, requestId: '', source: '', headers: {},
});

beforeAll(async () => {
  const status = { dir: '', valid: true, diagnostics: [], proxies: [] } as unknown as ControlStatus;
  api = await startApi({
    port: 0,
    controller: { status: () => status, snapshot: () => undefined },
    xds: { status: () => [] },
    events: eventLog(5),
    traffic: { report: () => ({ at: 0, windowMs: 0, proxies: [], routes: [], subsets: [] }) },
    tap,
    graph: recorder,
  });
  now = 100_000;
  tap.add([
    ...Array.from({ length: 30 }, (_, i) => entry('mesh-gateway', 'outbound|9080|v1|reviews.default.svc.cluster.local', 95_000 + i)),
    ...Array.from({ length: 10 }, (_, i) => entry('mesh-gateway', 'outbound|9080|v2|reviews.default.svc.cluster.local', 95_000 + i, i < 2 ? 503 : 200)),
    entry('reviews-v1', 'outbound|9080||ratings.default.svc.cluster.local', 96_000),
  ]);
});
afterAll(() => api.close());

describe('GET /graph', () => {
  it('answers the edges by version, or with the services of expand only', async () => {
    const all = await get('/graph?window=10000');
    expect(all.status).toBe(200);
    expect(all.body.edges.map((e) => [e.from, e.to, e.requests, e.rps, e.errorRate, e.health])).toEqual([
      ['mesh-gateway', 'reviews/v1', 30, 3, 0, 'ok'],
      ['mesh-gateway', 'reviews/v2', 10, 1, 0.2, 'bad'],
      ['reviews/v1', 'ratings', 1, 0.1, 0, 'ok'],
    ]);
    const collapsed = await get('/graph?window=10000&expand=');
    expect(collapsed.body.edges.map((e) => [e.from, e.to, e.requests, e.health])).toEqual([['mesh-gateway', 'reviews', 40, 'warn'], ['reviews', 'ratings', 1, 'ok']]);
    expect((await get('/graph?window=2000')).body.edges).toEqual([]);
  });
  it('refuses a window it does not keep, with a sentence', async () => {
    expect(await get('/graph?window=120000')).toEqual({ status: 400, body: { error: 'window=120000 is longer than the graph keeps (60000 ms).' } });
    expect((await get('/graph?window=soon')).status).toBe(400);
  });
});
