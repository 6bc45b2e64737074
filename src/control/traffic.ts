// Traffic per route and per subset over a sliding window, from the proxies' own Envoy stats:
// `/stats?format=json&histogram_buckets=cumulative`, read with full stat names (Prometheus' tag
// extraction cuts cluster names such as `outbound|9080|v1|reviews.default.svc.cluster.local` at
// the first dot). Pure: stats text in, samples; samples in, a report.
import { parseCluster } from '../config/names.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';

/** What is counted for one route or cluster: requests, 5xx responses, and the latency histogram. */
export interface Counters {
  completed: number;
  errors: number;
  /** Cumulative counts per upper bound (ms) of `upstream_rq_time`, as Envoy reports them. */
  latency: Array<{ le: number; count: number }>;
}

/** One scrape of one proxy. */
export interface StatsSample {
  at: number;
  /** When the Envoy started (from its uptime): its counters were all zero then. */
  startedAt?: number;
  /** By route name (the route's stat_prefix), summed over virtual hosts. */
  routes: Map<string, Counters>;
  /** By cluster name. */
  clusters: Map<string, Counters>;
}

/** The query that asks Envoy for only what `parseStats` reads. */
export const STATS_QUERY = `format=json&histogram_buckets=cumulative&filter=${encodeURIComponent('upstream_rq_(completed|5xx|time)$|^server\\.uptime$')}`;

const ROUTE_STAT = /^vhost\..+?\.route\.(.+)\.(upstream_rq_(?:completed|5xx|time))$/;
const CLUSTER_STAT = /^cluster\.(.+)\.(upstream_rq_(?:completed|5xx|time))$/;

export function parseStats(body: unknown, at: number): StatsSample {
  const sample: StatsSample = { at, routes: new Map(), clusters: new Map() };
  const entries = ((body as { stats?: EnvoyJson[] } | null)?.stats ?? []) as EnvoyJson[];
  const add = (name: string, value: number | Counters['latency']) => {
    const route = ROUTE_STAT.exec(name);
    const cluster = route ? undefined : CLUSTER_STAT.exec(name);
    const match = route ?? cluster;
    if (!match) return;
    const table = route ? sample.routes : sample.clusters;
    const counters = table.get(match[1]!) ?? { completed: 0, errors: 0, latency: [] };
    table.set(match[1]!, counters);
    if (typeof value !== 'number') counters.latency = sumBuckets(counters.latency, value);
    else if (match[2] === 'upstream_rq_completed') counters.completed += value;
    else counters.errors += value;
  };
  for (const entry of entries) {
    if (entry.name === 'server.uptime' && typeof entry.value === 'number') sample.startedAt = at - entry.value * 1000;
    else if (typeof entry.name === 'string' && typeof entry.value === 'number') add(entry.name, entry.value);
    for (const h of (entry.histograms ?? []) as Array<{ name: string; buckets?: Array<{ upper_bound: number; cumulative: number }> }>) {
      add(h.name, (h.buckets ?? []).map((b) => ({ le: b.upper_bound, count: b.cumulative })));
    }
  }
  // Envoy also counts a cluster's requests as `CLUSTER.external.…` (or `.internal.`): not a cluster of its own.
  for (const name of sample.clusters.keys()) {
    const base = name.replace(/\.(external|internal)$/, '');
    if (base !== name && sample.clusters.has(base)) sample.clusters.delete(name);
  }
  return sample;
}

function sumBuckets(a: Counters['latency'], b: Counters['latency']): Counters['latency'] {
  if (a.length === 0) return b;
  return a.map((bucket, i) => ({ le: bucket.le, count: bucket.count + (b[i]?.count ?? 0) }));
}

export interface TrafficStats {
  /** Requests completed in the window, and per second. */
  requests: number;
  rps: number;
  /** Share of those answered without a 5xx; null without requests. */
  successRate: number | null;
  /** Latency percentiles (ms), interpolated within Envoy's histogram buckets; null without data. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface RouteTraffic extends TrafficStats {
  route: string;
}

export interface SubsetTraffic extends TrafficStats {
  cluster: string;
  host: string;
  port: number;
  /** Empty for the service as a whole (no subset). */
  subset: string;
}

export interface ProxyScrape {
  proxy: string;
  url: string;
  reachable: boolean;
  /** Why the last scrape failed. */
  error?: string;
  lastScrapeAt?: number;
}

export interface TrafficReport {
  at: number;
  windowMs: number;
  proxies: ProxyScrape[];
  routes: RouteTraffic[];
  subsets: SubsetTraffic[];
}

/** The change of every counter between the first and last sample of each proxy, summed over proxies. */
export function trafficReport(samples: ReadonlyMap<string, readonly StatsSample[]>, proxies: ProxyScrape[], at: number, windowMs: number): TrafficReport {
  const routes = new Map<string, Delta>();
  const clusters = new Map<string, Delta>();
  for (const list of samples.values()) {
    const first = list[0];
    const last = list.at(-1);
    if (!first || !last || last === first) continue;
    // At least a second: a proxy's start is known to the second only (its uptime).
    const seconds = Math.max(1, (last.at - first.at) / 1000);
    accumulate(routes, first.routes, last.routes, seconds);
    accumulate(clusters, first.clusters, last.clusters, seconds);
  }
  return {
    at,
    windowMs,
    proxies,
    routes: [...routes].map(([route, d]) => ({ route, ...stats(d) })).sort((a, b) => a.route.localeCompare(b.route)),
    subsets: [...clusters]
      .flatMap(([cluster, d]) => {
        const name = parseCluster(cluster);
        return name?.direction === 'outbound' ? [{ cluster, host: name.host, port: name.port, subset: name.subset, ...stats(d) }] : [];
      })
      .sort((a, b) => a.cluster.localeCompare(b.cluster)),
  };
}

interface Delta {
  completed: number;
  errors: number;
  rps: number;
  latency: Counters['latency'];
}

function accumulate(into: Map<string, Delta>, before: Map<string, Counters>, after: Map<string, Counters>, seconds: number): void {
  for (const [name, now] of after) {
    // A route or cluster new since the first sample counted from zero.
    const base = before.get(name) ?? { completed: 0, errors: 0, latency: [] };
    const completed = now.completed - base.completed;
    const delta: Delta = {
      completed,
      errors: now.errors - base.errors,
      rps: completed / seconds,
      latency: now.latency.map((b, i) => ({ le: b.le, count: b.count - (base.latency[i]?.count ?? 0) })),
    };
    const sum = into.get(name);
    into.set(
      name,
      sum
        ? { completed: sum.completed + delta.completed, errors: sum.errors + delta.errors, rps: sum.rps + delta.rps, latency: sumBuckets(sum.latency, delta.latency) }
        : delta,
    );
  }
}

function stats(d: Delta): TrafficStats {
  const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;
  return {
    requests: d.completed,
    rps: round(d.rps, 2),
    successRate: d.completed > 0 ? round((d.completed - d.errors) / d.completed, 4) : null,
    p50Ms: quantile(d.latency, 0.5),
    p99Ms: quantile(d.latency, 0.99),
  };
}

/** The q-quantile of a cumulative histogram, linear within the bucket it falls in. */
export function quantile(buckets: Counters['latency'], q: number): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const target = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= target && count > below) return Math.round((lower + ((le - lower) * (target - below)) / (count - below)) * 100) / 100;
    lower = le;
    below = count;
  }
  return lower;
}

/** A proxy's counters when it started: every one zero. */
export function startSample(startedAt: number): StatsSample {
  return { at: startedAt, startedAt, routes: new Map(), clusters: new Map() };
}
