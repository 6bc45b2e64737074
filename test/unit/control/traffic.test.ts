// Traffic from Envoy stats: parsing full stat names, and rates, success and latency over a window.
import { describe, expect, it } from 'vitest';
import { parseStats, quantile, startSample, trafficReport, type StatsSample } from '../../../src/control/traffic.ts';

const V1 = 'outbound|9080|v1|reviews.default.svc.cluster.local';
const V2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';
const BOUNDS = [0.5, 1, 5, 10, 25, 50, 100];

/** Envoy's /stats?format=json&histogram_buckets=cumulative for the given counters and latency counts per bucket. */
function envoyStats(at: number, counters: Record<string, number>, latency: Record<string, number[]> = {}, uptime?: number) {
  return parseStats(
    {
      stats: [
        ...(uptime === undefined ? [] : [{ name: 'server.uptime', value: uptime }]),
        ...Object.entries(counters).map(([name, value]) => ({ name, value })),
        {
          histograms: Object.entries(latency).map(([name, counts]) => ({
            name,
            buckets: BOUNDS.map((upper_bound, i) => ({ upper_bound, interval: 0, cumulative: counts[i] ?? counts.at(-1)! })),
          })),
        },
      ],
    },
    at,
  );
}

describe('parseStats', () => {
  it('reads routes and clusters by full name, and leaves out the .external copy of a cluster', () => {
    const s = envoyStats(
      5000,
      {
        [`cluster.${V1}.upstream_rq_completed`]: 17,
        [`cluster.${V1}.external.upstream_rq_completed`]: 17,
        [`cluster.${V1}.upstream_rq_5xx`]: 2,
        'vhost.*:80.route.reviews.0.upstream_rq_completed': 20,
        'vhost.reviews.default.svc.cluster.local:9080.route.reviews.0.upstream_rq_completed': 5,
      },
      { [`cluster.${V1}.upstream_rq_time`]: [0, 0, 10, 17] },
      3,
    );
    expect([...s.clusters.keys()]).toEqual([V1]);
    expect(s.clusters.get(V1)).toMatchObject({ completed: 17, errors: 2 });
    expect(s.clusters.get(V1)!.latency.slice(0, 4)).toEqual([{ le: 0.5, count: 0 }, { le: 1, count: 0 }, { le: 5, count: 10 }, { le: 10, count: 17 }]);
    expect(s.routes.get('reviews.0')).toMatchObject({ completed: 25 }); // summed over virtual hosts
    expect(s.startedAt).toBe(2000);
  });
});

describe('trafficReport', () => {
  const at = (t: number, v1: number, v2: number, v1Errors = 0): StatsSample =>
    envoyStats(t, {
      [`cluster.${V1}.upstream_rq_completed`]: v1,
      [`cluster.${V1}.upstream_rq_5xx`]: v1Errors,
      [`cluster.${V2}.upstream_rq_completed`]: v2,
      'vhost.*:80.route.reviews.0.upstream_rq_completed': v1 + v2,
    });

  it('rates and success over the window, summed over proxies', () => {
    const samples = new Map([
      ['mesh-gateway', [at(0, 100, 10), at(5000, 150, 20, 5)]],
      ['productpage-v1', [at(0, 0, 0), at(10_000, 40, 0)]],
    ]);
    const report = trafficReport(samples, [], 10_000, 10_000);
    expect(report.subsets.map((s) => [s.subset, s.requests, s.rps, s.successRate])).toEqual([
      ['v1', 90, 14, 0.9444], // 50 in 5 s + 40 in 10 s
      ['v2', 10, 2, 1],
    ]);
    expect(report.routes).toEqual([{ route: 'reviews.0', requests: 100, rps: 16, successRate: 1, p50Ms: null, p99Ms: null }]);
  });

  it('counts a proxy from its start, and nothing for a proxy with one sample', () => {
    const report = trafficReport(new Map([['a', [startSample(0), at(2000, 10, 0)]], ['b', [at(2000, 500, 0)]]]), [], 2000, 10_000);
    expect(report.subsets.find((s) => s.subset === 'v1')).toMatchObject({ requests: 10, rps: 5 });
  });
});

describe('quantile', () => {
  const buckets = (counts: number[]) => BOUNDS.map((le, i) => ({ le, count: counts[i]! }));
  it('interpolates within the bucket the quantile falls in', () => {
    // 100 requests: 50 under 1 ms, 50 between 5 and 10 ms.
    const b = buckets([0, 50, 50, 100, 100, 100, 100]);
    expect(quantile(b, 0.5)).toBe(1);
    expect(quantile(b, 0.99)).toBe(9.9);
    expect(quantile(buckets([0, 0, 0, 0, 0, 0, 0]), 0.5)).toBeNull();
  });
});
