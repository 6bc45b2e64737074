// The service graph from tap entries: which entries are calls, edges over a window, error rates
// (5xx and no response), nearest-rank percentiles, collapsing services, the tree order, and the
// recorder's window and bound.
import { describe, expect, it } from 'vitest';
import { buildGraph, edgeTree, graphCall, health, quantile, servedBy, servedDuring, workloadOf, type GraphCall } from '../../../src/control/graph.ts';
import { graphRecorder } from '../../../src/control/graph-recorder.ts';
import { tapStore } from '../../../src/control/tap.ts';
import type { TapEntry } from '../../../src/xds/access-log.ts';

const entry = (over: Partial<TapEntry>): TapEntry => ({
  at: 1000, proxy: 'frontend-v1', listener: 'outbound', method: 'GET', authority: 'catalog:9080', path: '/', status: 200, flags: [],
  upstreamCluster: 'outbound|9080|v1|catalog.default.svc.cluster.local', durationMs: 5, requestId: '', source: '127.0.0.1:1', headers: {}, ...over,
});

const call = (over: Partial<GraphCall>): GraphCall => ({ at: 1000, fromService: 'frontend', fromVersion: 'v1', toService: 'catalog', toSubset: 'v1', status: 200, durationMs: 5, requestId: '', ...over });

describe('graphCall', () => {
  it('reads a sidecar outbound entry as a call from its version to the subset', () => {
    expect(graphCall(entry({}))).toEqual({ at: 1000, fromService: 'frontend', fromVersion: 'v1', toService: 'catalog', toSubset: 'v1', status: 200, durationMs: 5, requestId: '' });
  });
  it("reads a gateway's entry as a call from the gateway", () => {
    expect(graphCall(entry({ proxy: 'mesh-gateway', upstreamCluster: 'outbound|80||frontend.default.svc.cluster.local' }))).toMatchObject({ fromService: 'mesh-gateway', fromVersion: '', toService: 'frontend', toSubset: '' });
  });
  it('is no call for inbound entries, CONNECT tunnels and the passthrough', () => {
    for (const upstreamCluster of ['inbound|9080||', 'outbound_tunnel', 'PassthroughCluster']) expect(graphCall(entry({ upstreamCluster }))).toBeUndefined();
  });
  it("counts a sidecar's request a fault aborted (no cluster) for the service of its authority", () => {
    expect(graphCall(entry({ listener: 'outbound_tunnel', authority: 'cart:9080', upstreamCluster: '', status: 503, flags: ['FI'] }))).toMatchObject({ toService: 'cart', toSubset: '', status: 503 });
    expect(graphCall(entry({ proxy: 'mesh-gateway', authority: 'localhost:8081', upstreamCluster: '', status: 404, flags: ['NR'] }))).toBeUndefined();
    expect(graphCall(entry({ authority: '10.0.0.1:80', upstreamCluster: '', status: 503 }))).toBeUndefined();
  });
  it('splits a proxy id at the service it knows, else at the last dash', () => {
    expect(workloadOf('order-service-v2')).toEqual({ service: 'order-service', version: 'v2' });
    expect(workloadOf('api-v1-beta', new Set(['api']))).toEqual({ service: 'api', version: 'v1-beta' });
    expect(workloadOf('mesh-gateway-egress')).toEqual({ service: 'mesh-gateway-egress', version: '' });
  });
});

describe('the version that served a call', () => {
  it("is read from the callee sidecar's inbound entry with the same request id", () => {
    expect(servedBy(entry({ proxy: 'cart-v2', listener: 'inbound_9080', upstreamCluster: 'inbound|9080||', requestId: 'abc' }))).toEqual({ key: 'abc|cart', served: { at: 1000, version: 'v2' } });
    expect(servedBy(entry({ requestId: 'abc' }))).toBeUndefined(); // outbound
    expect(servedBy(entry({ proxy: 'cart-v2', upstreamCluster: 'inbound|9080||', requestId: '' }))).toBeUndefined();
  });
  it('is the one under way during the call, of a request id the service got more than once', () => {
    // A try aborted by a fault at 1000 (2 ms), the retry (same id) served by v1 at 1100.
    const served = { at: 1100, version: 'v1' };
    expect(servedDuring(call({ at: 1000, durationMs: 2 }), served)).toBe(false);
    expect(servedDuring(call({ at: 1099, durationMs: 5 }), served)).toBe(true);
    expect(graphCall(entry({ listener: 'outbound_tunnel', authority: 'cart:9080', upstreamCluster: '', status: 503, flags: ['FI'], requestId: 'a' }))!.requestId).toBe('');
  });
  it('leaves a call waiting for it out while young, and counts it with its subset once settled', () => {
    const calls = [call({ requestId: 'a', at: 1000 }), call({ requestId: 'b', at: 1900, toSubset: 'canary' }), call({ at: 1950, toSubset: 'x' })];
    const graph = buildGraph(calls, { now: 2000, windowMs: 10_000, settleMs: 500 });
    expect(graph.edges.map((e) => e.to).sort()).toEqual(['catalog/v1', 'catalog/x']);
  });
});

describe('buildGraph', () => {
  it('counts the calls of the window only, with rps over the window', () => {
    const calls = [call({ at: 500 }), call({ at: 1000 }), ...Array.from({ length: 20 }, (_, i) => call({ at: 10_000 + i * 100 }))];
    const graph = buildGraph(calls, { now: 12_000, windowMs: 10_000 });
    expect(graph.edges).toHaveLength(1);
    expect(graph.edges[0]).toMatchObject({ from: 'frontend/v1', to: 'catalog/v1', requests: 20, rps: 2, errors: 0, errorRate: 0, health: 'ok' });
    // (11 000, 12 000]: the call at 11 000 is out.
    expect(buildGraph(calls, { now: 12_000, windowMs: 1000 }).edges[0]!.requests).toBe(9);
  });
  it('counts 5xx and no response as errors, not 4xx', () => {
    const statuses = [200, 200, 404, 503, 500, 0, 200, 200, 200, 200];
    const edge = buildGraph(statuses.map((status) => call({ status })), { now: 2000, windowMs: 10_000 }).edges[0]!;
    expect([edge.errors, edge.errorRate, edge.health]).toEqual([3, 0.3, 'bad']);
  });
  it('takes nearest-rank p50 and p99 of the durations', () => {
    const edge = buildGraph(Array.from({ length: 100 }, (_, i) => call({ durationMs: 100 - i })), { now: 2000, windowMs: 10_000 }).edges[0]!;
    expect([edge.p50Ms, edge.p99Ms]).toEqual([50, 99]);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBe(0);
  });
  it('keeps versions apart, or adds them up for a collapsed service', () => {
    const calls = [call({ toSubset: 'v1' }), call({ toSubset: 'v2', status: 503 }), call({ fromService: 'mesh-gateway', fromVersion: '', toService: 'frontend', toSubset: '' })];
    const byVersion = buildGraph(calls, { now: 2000, windowMs: 10_000 });
    expect(byVersion.edges.map((e) => `${e.from}>${e.to} ${e.requests} ${e.errorRate}`).sort()).toEqual(['frontend/v1>catalog/v1 1 0', 'frontend/v1>catalog/v2 1 1', 'mesh-gateway>frontend 1 0']);
    expect(byVersion.nodes).toEqual([
      { service: 'mesh-gateway', versions: [], gateway: true },
      { service: 'catalog', versions: ['v1', 'v2'], gateway: false },
      { service: 'frontend', versions: ['v1'], gateway: false },
    ]);
    const collapsed = buildGraph(calls, { now: 2000, windowMs: 10_000, expand: new Set(['frontend']) });
    expect(collapsed.edges.map((e) => `${e.from}>${e.to} ${e.requests} ${e.errorRate} ${e.health}`).sort()).toEqual(['frontend/v1>catalog 2 0.5 bad', 'mesh-gateway>frontend 1 0 ok']);
  });
  it('says warn from 1% and bad from 10%', () => {
    expect([health(0), health(0.009), health(0.01), health(0.099), health(0.1)]).toEqual(['ok', 'ok', 'warn', 'warn', 'bad']);
  });
});

describe('edgeTree', () => {
  it('lists the edges from the gateway down, a service under the calls to it', () => {
    const calls = [
      call({ fromService: 'catalog', toService: 'pricing', toSubset: 'v1' }),
      call({ toService: 'cart', toSubset: '' }),
      call({}),
      call({ fromService: 'mesh-gateway', fromVersion: '', toService: 'frontend', toSubset: 'v1' }),
      call({ fromService: 'cart', toService: 'db', toSubset: '' }),
    ];
    const tree = edgeTree(buildGraph(calls, { now: 2000, windowMs: 10_000 }).edges).map(({ edge, depth }) => `${'  '.repeat(depth)}${edge.from} → ${edge.to}`);
    expect(tree).toEqual(['mesh-gateway → frontend/v1', '  frontend/v1 → cart', '    cart/v1 → db', '  frontend/v1 → catalog/v1', '    catalog/v1 → pricing/v1']);
  });
});

describe('graphRecorder', () => {
  it('hears every entry of the tap, beyond its rings, and forgets what is older than the longest window', () => {
    let now = 100_000;
    const tap = tapStore(5);
    const recorder = graphRecorder(tap, { now: () => now });
    now = 200_000;
    tap.add(Array.from({ length: 50 }, (_, i) => entry({ at: 195_000 + i * 100 })));
    expect(recorder.report(10_000).edges[0]).toMatchObject({ requests: 50, rps: 5 });
    now = 300_000;
    expect(recorder.report(10_000).edges).toEqual([]);
    recorder.close();
    tap.add([entry({ at: now })]);
    expect(recorder.report(10_000).edges).toEqual([]);
  });
  it('keeps at most maxCalls, counting the ones it let go', () => {
    const tap = tapStore();
    let now = 0;
    const recorder = graphRecorder(tap, { maxCalls: 100, now: () => now });
    now = 60_000;
    tap.add(Array.from({ length: 1000 }, (_, i) => entry({ at: 50_000 + i })));
    const report = recorder.report(10_000);
    expect(report.edges[0]!.requests).toBeLessThanOrEqual(125);
    expect(report.dropped).toBeGreaterThanOrEqual(875);
  });
  it('shows the version that served a call to a service whose route has no subset', () => {
    let now = 0;
    const tap = tapStore();
    const recorder = graphRecorder(tap, { now: () => now });
    now = 10_000;
    tap.add([
      entry({ at: 5000, upstreamCluster: 'outbound|9080||cart.default.svc.cluster.local', requestId: 'one' }),
      entry({ at: 5000, proxy: 'cart-v2', listener: 'inbound_9080', upstreamCluster: 'inbound|9080||', requestId: 'one' }),
      entry({ at: 5000, upstreamCluster: 'outbound|9080||cart.default.svc.cluster.local', requestId: 'two' }),
      entry({ at: 5000, proxy: 'cart-v1', listener: 'inbound_9080', upstreamCluster: 'inbound|9080||', requestId: 'two' }),
    ]);
    expect(recorder.report(10_000).edges.map((e) => `${e.from} → ${e.to} ${e.requests}`)).toEqual(['frontend/v1 → cart/v1 1', 'frontend/v1 → cart/v2 1']);
    // The callee's entry first; a try aborted before (no version), its retry served by v2.
    tap.add([
      entry({ at: 6000, proxy: 'cart-v2', listener: 'inbound_9080', upstreamCluster: 'inbound|9080||', requestId: 'three' }),
      entry({ at: 5990, upstreamCluster: 'outbound|9080||cart.default.svc.cluster.local', requestId: 'three', durationMs: 2, status: 503 }),
      entry({ at: 5999, upstreamCluster: 'outbound|9080||cart.default.svc.cluster.local', requestId: 'three', durationMs: 5 }),
    ]);
    expect(recorder.report(10_000).edges.map((e) => `${e.to} ${e.requests} ${e.errors}`)).toEqual(['cart/v2 2 0', 'cart 1 1', 'cart/v1 1 0']);
  });
  it('counts over the time it has listened when that is shorter than the window, and says so', () => {
    let now = 0;
    const tap = tapStore();
    const recorder = graphRecorder(tap, { now: () => now });
    now = 2000;
    tap.add(Array.from({ length: 10 }, (_, i) => entry({ at: 1000 + i * 100 })));
    expect(recorder.report(10_000)).toMatchObject({ windowMs: 2000, edges: [{ requests: 10, rps: 5 }] });
  });
});
