// Injected faults counted where the callers see them: which routes of a compiled proxy inject
// what, and the fault filter's counts per connection manager given back to those routes and,
// by weight, to their clusters (aborts as errors answered at once, delays as added latency).
import { describe, expect, it } from 'vitest';
import { faultRoutes } from '../../../src/control/fault-routes.ts';
import { parseStats, trafficReport, type FaultRoute, type StatsSample } from '../../../src/control/traffic.ts';
import { compile, proxy, REVIEWS_SUBSETS } from '../compile/compile-helpers.ts';

const V1 = 'outbound|9080|v1|reviews.default.svc.cluster.local';
const V2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';
const BOUNDS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
`;
const ROUTES = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews, reviews.local]
  gateways: [edge, mesh]
  http:
  - name: slow
    match: [{uri: {prefix: /slow}}]
    fault: {delay: {fixedDelay: 1s, percentage: {value: 50}}}
    route: [{destination: {host: reviews, subset: v1}}]
  - fault: {abort: {httpStatus: 503, percentage: {value: 25}}}
    route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v2}, weight: 20}
`;

describe('faultRoutes', () => {
  it('finds each fault route of a proxy with its connection managers, clusters and fault', () => {
    const compiled = compile([GATEWAY, REVIEWS_SUBSETS, ROUTES], 'loopback');
    expect(faultRoutes(proxy(compiled, 'mesh-gateway'))).toEqual([
      { route: 'slow', listeners: ['gateway_80'], clusters: [{ cluster: V1, weight: 1 }], delay: { ms: 1000, fraction: 0.5 } },
      { route: 'reviews.1', listeners: ['gateway_80'], clusters: [{ cluster: V1, weight: 80 }, { cluster: V2, weight: 20 }], abort: { status: 503, fraction: 0.25 } },
    ]);
    // A sidecar's outbound routes serve both the outbound listener and the CONNECT tunnel's.
    expect(faultRoutes(proxy(compiled, 'productpage-v1')).map((f) => [f.route, f.listeners])).toEqual([
      ['slow', ['outbound', 'outbound_tunnel']],
      ['reviews.1', ['outbound', 'outbound_tunnel']],
    ]);
    expect(faultRoutes(proxy(compile([GATEWAY, REVIEWS_SUBSETS]), 'mesh-gateway'))).toEqual([]);
  });
});

/** A gateway's stats: upstream counters and latency per route and cluster, and the fault filter's counters. */
function sample(at: number, stats: Record<string, number>, latency: Record<string, number[]>, faults?: FaultRoute[]): StatsSample {
  const s = parseStats(
    {
      stats: [
        ...Object.entries(stats).map(([name, value]) => ({ name, value })),
        { histograms: Object.entries(latency).map(([name, counts]) => ({ name, buckets: BOUNDS.map((upper_bound, i) => ({ upper_bound, cumulative: counts[i] ?? counts.at(-1)! })) })) },
      ],
    },
    at,
  );
  if (faults) s.faults = faults;
  return s;
}

const ABORT: FaultRoute = { route: 'reviews.0', listeners: ['gateway_80'], clusters: [{ cluster: V1, weight: 50 }, { cluster: V2, weight: 50 }], abort: { status: 503, fraction: 0.5 } };
const DELAY: FaultRoute = { route: 'reviews.0', listeners: ['gateway_80'], clusters: [{ cluster: V1, weight: 50 }, { cluster: V2, weight: 50 }], delay: { ms: 1000, fraction: 0.5 } };
const ZERO = sample(0, { [`cluster.${V1}.upstream_rq_completed`]: 0, 'http.gateway_80.fault.aborts_injected': 0 }, {});

describe('trafficReport with injected faults', () => {
  it('reads the fault filter’s counters per connection manager', () => {
    const s = sample(1000, { 'http.gateway_80.fault.aborts_injected': 7, 'http.gateway_80.fault.delays_injected': 3, 'http.outbound.fault.aborts_injected': 1 }, {});
    expect([...s.injected]).toEqual([['gateway_80', { aborts: 7, delays: 3 }], ['outbound', { aborts: 1, delays: 0 }]]);
  });

  it('counts aborted requests as errors of the route and, by weight, of its subsets, answered at once', () => {
    // 100 requests: 50 aborted by the gateway, 25 each reached v1 and v2 in 2–5 ms.
    const last = sample(
      10_000,
      {
        'http.gateway_80.fault.aborts_injected': 50,
        'vhost.*:80.route.reviews.0.upstream_rq_completed': 50,
        [`cluster.${V1}.upstream_rq_completed`]: 25,
        [`cluster.${V2}.upstream_rq_completed`]: 25,
      },
      { [`cluster.${V1}.upstream_rq_time`]: [0, 0, 25], [`cluster.${V2}.upstream_rq_time`]: [0, 0, 25], 'vhost.*:80.route.reviews.0.upstream_rq_time': [0, 0, 50] },
      [ABORT],
    );
    const report = trafficReport(new Map([['mesh-gateway', [ZERO, last]]]), [], 10_000, 10_000);
    expect(report.routes).toEqual([{ route: 'reviews.0', requests: 100, rps: 10, successRate: 0.5, p50Ms: 0.5, p99Ms: 4.92 }]);
    expect(report.subsets.map((s) => [s.subset, s.requests, s.successRate])).toEqual([['v1', 50, 0.5], ['v2', 50, 0.5]]);
  });

  it('adds the delay to the share of requests it held, on bounds moved with it', () => {
    // 100 requests, all upstream in 5–10 ms, 50 of them held 1 s first.
    const last = sample(
      10_000,
      { 'http.gateway_80.fault.delays_injected': 50, 'vhost.*:80.route.reviews.0.upstream_rq_completed': 100, [`cluster.${V1}.upstream_rq_completed`]: 50, [`cluster.${V2}.upstream_rq_completed`]: 50 },
      { 'vhost.*:80.route.reviews.0.upstream_rq_time': [0, 0, 0, 100], [`cluster.${V1}.upstream_rq_time`]: [0, 0, 0, 50], [`cluster.${V2}.upstream_rq_time`]: [0, 0, 0, 50] },
      [DELAY],
    );
    const report = trafficReport(new Map([['mesh-gateway', [ZERO, last]]]), [], 10_000, 10_000);
    const route = report.routes[0]!;
    expect(route).toMatchObject({ requests: 100, successRate: 1 });
    expect(route.p50Ms).toBe(10);
    expect(route.p99Ms).toBeGreaterThanOrEqual(1005);
    expect(route.p99Ms).toBeLessThanOrEqual(1010);
    for (const s of report.subsets) expect(s.p99Ms).toBeGreaterThanOrEqual(1005);
    // Without the fault routes, the upstream view: the delay does not show.
    const upstream = trafficReport(new Map([['mesh-gateway', [ZERO, { ...last, faults: undefined }]]]), [], 10_000, 10_000);
    expect(upstream.routes[0]!.p99Ms).toBeLessThan(10);
  });

  it('shares one connection manager’s aborts between two abort routes by what each one’s upstream share makes expected', () => {
    const other: FaultRoute = { ...ABORT, route: 'ratings.0', clusters: [{ cluster: 'outbound|9080||ratings.default.svc.cluster.local', weight: 100 }], abort: { status: 500, fraction: 0.2 } };
    // reviews: 30 upstream at 50% → 30 expected; ratings: 40 upstream at 20% → 10 expected. 40 aborts seen.
    const last = sample(
      10_000,
      { 'http.gateway_80.fault.aborts_injected': 40, 'vhost.*:80.route.reviews.0.upstream_rq_completed': 30, 'vhost.*:80.route.ratings.0.upstream_rq_completed': 40 },
      {},
      [ABORT, other],
    );
    const report = trafficReport(new Map([['mesh-gateway', [ZERO, last]]]), [], 10_000, 10_000);
    expect(report.routes.map((r) => [r.route, r.requests, r.successRate])).toEqual([['ratings.0', 50, 0.8], ['reviews.0', 60, 0.5]]);
    // The subsets of an abort route all aborted (no upstream requests at all) are there too.
    expect(report.subsets.map((s) => [s.subset, s.requests])).toEqual([['', 10], ['v1', 15], ['v2', 15]]);
  });
});
