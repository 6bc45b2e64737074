// Traffic per route and per subset over a sliding window, from the proxies' own Envoy stats:
// `/stats?format=json&histogram_buckets=cumulative`, read with full stat names (Prometheus' tag
// extraction cuts cluster names such as `outbound|9080|v1|reviews.default.svc.cluster.local` at
// the first dot). Pure: stats text in, samples; samples in, a report.
//
// The report counts what the callers saw. Envoy's route and cluster stats (`upstream_rq_*`) are
// kept by the router, so a request the fault filter answers (an injected abort) is never in them,
// and an injected delay is spent before the router starts `upstream_rq_time`. The fault filter
// counts both per HTTP connection manager (`http.PREFIX.fault.aborts_injected`,
// `.delays_injected`); with the proxy's fault routes (which route of which connection manager
// injects what, from its config: fault-routes.ts) those counts go back to the route and, by its
// weights, to the clusters it was sending them to: an abort as a request answered at once with its
// status, a delay as that share of the requests taking the delay longer.
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
  /** Faults injected, by HTTP connection manager (its stat_prefix). */
  injected: Map<string, Injected>;
  /** The routes of this proxy that inject faults, when the sample was taken. */
  faults?: FaultRoute[];
}

export interface Injected {
  aborts: number;
  delays: number;
}

/** A route that injects a fault, as the proxy's config has it. */
export interface FaultRoute {
  /** The route's stat_prefix. */
  route: string;
  /** The stat_prefix of each HTTP connection manager whose route configuration holds it. */
  listeners: string[];
  /** Where it sends requests, by weight. */
  clusters: Array<{ cluster: string; weight: number }>;
  /** `fraction` of its requests answered with `status` (0 for a gRPC status)… */
  abort?: { status: number; fraction: number };
  /** …and held `ms` first. */
  delay?: { ms: number; fraction: number };
}

/** The query that asks Envoy for only what `parseStats` reads. */
export const STATS_QUERY = `format=json&histogram_buckets=cumulative&filter=${encodeURIComponent('upstream_rq_(completed|5xx|time)$|\\.fault\\.(aborts|delays)_injected$|^server\\.uptime$')}`;

const ROUTE_STAT = /^vhost\..+?\.route\.(.+)\.(upstream_rq_(?:completed|5xx|time))$/;
const CLUSTER_STAT = /^cluster\.(.+)\.(upstream_rq_(?:completed|5xx|time))$/;
const FAULT_STAT = /^http\.(.+)\.fault\.(aborts|delays)_injected$/;

export function parseStats(body: unknown, at: number): StatsSample {
  const sample: StatsSample = { at, routes: new Map(), clusters: new Map(), injected: new Map() };
  const entries = ((body as { stats?: EnvoyJson[] } | null)?.stats ?? []) as EnvoyJson[];
  const add = (name: string, value: number | Counters['latency']) => {
    const fault = typeof value === 'number' ? FAULT_STAT.exec(name) : null;
    if (fault) {
      const injected = sample.injected.get(fault[1]!) ?? { aborts: 0, delays: 0 };
      sample.injected.set(fault[1]!, { ...injected, [fault[2]!]: value });
      return;
    }
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

/** Two histograms added: bucket by bucket, or over the bounds of both when they differ (a delay shifted one). */
function sumBuckets(a: Counters['latency'], b: Counters['latency']): Counters['latency'] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  if (a.length === b.length && a.every((x, i) => x.le === b[i]!.le)) return a.map((bucket, i) => ({ le: bucket.le, count: bucket.count + b[i]!.count }));
  return union(a, b).map((le) => ({ le, count: below(a, le) + below(b, le) }));
}

const union = (a: Counters['latency'], b: Counters['latency']) => [...new Set([...a, ...b].map((x) => x.le))].sort((x, y) => x - y);

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
    const ownRoutes = changes(first.routes, last.routes);
    const ownClusters = changes(first.clusters, last.clusters);
    // The fault routes as they are now, and those taken out during the window (their faults still count).
    const faults = [...(last.faults ?? []), ...(first.faults ?? []).filter((f) => !last.faults?.some((g) => g.route === f.route))];
    countInjected(ownRoutes, ownClusters, injectedBetween(first.injected, last.injected), faults);
    accumulate(routes, ownRoutes, seconds);
    accumulate(clusters, ownClusters, seconds);
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

/** What each route or cluster counted between two samples (one new since the first counted from zero). */
function changes(before: Map<string, Counters>, after: Map<string, Counters>): Map<string, Counters> {
  const out = new Map<string, Counters>();
  for (const [name, now] of after) {
    const base = before.get(name) ?? { completed: 0, errors: 0, latency: [] };
    out.set(name, {
      completed: now.completed - base.completed,
      errors: now.errors - base.errors,
      latency: now.latency.map((b, i) => ({ le: b.le, count: b.count - (base.latency[i]?.count ?? 0) })),
    });
  }
  return out;
}

function injectedBetween(before: Map<string, Injected>, after: Map<string, Injected>): Map<string, Injected> {
  return new Map(
    [...after].map(([listener, now]) => {
      const base = before.get(listener) ?? { aborts: 0, delays: 0 };
      return [listener, { aborts: now.aborts - base.aborts, delays: now.delays - base.delays }];
    }),
  );
}

/**
 * The faults a proxy injected, counted where the callers saw them: each connection manager's
 * aborts and delays go to the routes of it that inject them (shared by expectation when several
 * do), a route's to its clusters by weight.
 */
function countInjected(routes: Map<string, Counters>, clusters: Map<string, Counters>, injected: Map<string, Injected>, faults: readonly FaultRoute[]): void {
  const aborted = new Map<string, number>();
  const delayed = new Map<string, number>();
  const upstream = (f: FaultRoute) => routes.get(f.route)?.completed ?? 0;
  for (const [listener, { aborts, delays }] of injected) {
    const here = faults.filter((f) => f.listeners.includes(listener));
    // Of the requests a route aborts none went upstream: expect upstream × f / (1 − f) of them.
    share(aborted, aborts, here.filter((f) => f.abort).map((f) => [f.route, f.abort!.fraction, (upstream(f) * f.abort!.fraction) / (1 - f.abort!.fraction)]));
    // Delays come first, on the aborted requests too.
    share(delayed, delays, here.filter((f) => f.delay).map((f) => [f.route, f.delay!.fraction, (upstream(f) + (aborted.get(f.route) ?? 0)) * f.delay!.fraction]));
  }
  for (const fault of faults) {
    const aborts = aborted.get(fault.route) ?? 0;
    const delays = delayed.get(fault.route) ?? 0;
    if (aborts <= 0 && delays <= 0) continue;
    const status = fault.abort?.status ?? 0;
    const delayMs = fault.delay?.ms ?? 0;
    routes.set(fault.route, withFault(routes.get(fault.route), aborts, status, delays, delayMs));
    const total = fault.clusters.reduce((n, c) => n + c.weight, 0);
    for (const { cluster, weight } of fault.clusters) {
      if (total <= 0 || weight <= 0) continue;
      clusters.set(cluster, withFault(clusters.get(cluster), (aborts * weight) / total, status, (delays * weight) / total, delayMs));
    }
  }
}

/** `count` shared by routes `[route, fraction, expected]`: all to those that fault every request, else by expectation, else evenly. */
function share(into: Map<string, number>, count: number, routes: Array<[string, number, number]>): void {
  if (count <= 0 || routes.length === 0) return;
  const always = routes.filter(([, fraction]) => fraction >= 1);
  const among = always.length > 0 ? always.map(([r]): [string, number] => [r, 1]) : routes.map(([r, , expected]): [string, number] => [r, expected]);
  const total = among.reduce((n, [, w]) => n + w, 0);
  for (const [route, w] of among) into.set(route, (into.get(route) ?? 0) + (total > 0 ? (count * w) / total : count / among.length));
}

/** Envoy's default histogram bounds (ms), for a route or cluster whose every request was aborted. */
const BOUNDS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000];

/** `counters` plus `aborts` requests answered at once with `status`, then `delays` of all of them held `delayMs` longer. */
function withFault(counters: Counters | undefined, aborts: number, status: number, delays: number, delayMs: number): Counters {
  const base = counters ?? { completed: 0, errors: 0, latency: [] };
  const completed = base.completed + aborts;
  const buckets = base.latency.length > 0 ? base.latency : BOUNDS.map((le) => ({ le, count: 0 }));
  let latency = buckets.map((b) => ({ le: b.le, count: b.count + aborts }));
  const fraction = completed > 0 ? Math.min(1, delays / completed) : 0;
  if (fraction > 0 && delayMs > 0) {
    // The delayed share of the histogram moved up by the delay, on bounds moved with it (Envoy's buckets near a second are wide).
    const shifted = latency.map((b) => ({ le: b.le + delayMs, count: b.count }));
    const before = latency;
    latency = union(before, shifted).map((le) => ({ le, count: (1 - fraction) * below(before, le) + fraction * below(shifted, le) }));
  }
  return { completed, errors: base.errors + (status >= 500 ? aborts : 0), latency };
}

/** How many of a cumulative histogram's requests took at most `ms`, linear within a bucket. */
function below(buckets: Counters['latency'], ms: number): number {
  if (ms <= 0) return 0;
  let lower = 0;
  let under = 0;
  for (const { le, count } of buckets) {
    if (ms <= le) return under + ((count - under) * (ms - lower)) / (le - lower);
    lower = le;
    under = count;
  }
  return under;
}

function accumulate(into: Map<string, Delta>, own: Map<string, Counters>, seconds: number): void {
  for (const [name, d] of own) {
    const delta: Delta = { ...d, rps: d.completed / seconds };
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
    requests: Math.round(d.completed),
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
  return { at: startedAt, startedAt, routes: new Map(), clusters: new Map(), injected: new Map() };
}
