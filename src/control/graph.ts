// The service graph: who calls whom, worked out from the tap (every proxy's access log over ALS,
// xds/access-log.ts). A sidecar's outbound entry is one call from its workload (SERVICE/VERSION)
// to the cluster it sent the request to (`outbound|PORT|SUBSET|HOST` → SERVICE/SUBSET); a
// gateway's entry is a call from the gateway; a sidecar's request a fault aborted (no cluster yet)
// counts for the service of its authority. Inbound entries (the app behind a sidecar), CONNECT
// tunnels and PassthroughCluster are no edge. Pure.
//
// The destination's version is the one whose sidecar logged the same request id (an inbound
// entry), so a service is expandable to its versions whatever its route's subsets.
//
// GET /graph?window=MS[&expand=S1,S2|*] answers a GraphReport as JSON:
//   { "at": 1764600000000, "windowMs": 10000, "dropped": 0,
//     "nodes": [ { "service": "frontend", "versions": ["v1"], "gateway": false }, … ],
//     "edges": [ { "from": "mesh-gateway", "to": "frontend/v1", "fromService": "mesh-gateway",
//                  "toService": "frontend", "requests": 120, "errors": 0, "rps": 12,
//                  "errorRate": 0, "p50Ms": 3.1, "p99Ms": 9.2, "health": "ok" }, … ] }
// `from` and `to` are SERVICE/VERSION for a service shown by version (`expand`, every service when
// absent), SERVICE for one collapsed (its versions added up); a gateway is its proxy id. A
// destination no sidecar served (a fault's abort, no sidecar) has the subset its route chose, or
// none (SERVICE alone).
import { isIP } from 'node:net';
import { isGatewayProxy, parseCluster } from '../config/names.ts';
import type { TapEntry } from '../xds/access-log.ts';

/** One request from a workload to a service, what the graph keeps of a tap entry. */
export interface GraphCall {
  at: number;
  /** The caller's service (the gateway's proxy id for a gateway). */
  fromService: string;
  /** The caller's version; empty for a gateway. */
  fromVersion: string;
  toService: string;
  /** The version that served it (servedBy), else the subset it was routed to; empty when neither is known. */
  toSubset: string;
  /** Its x-request-id while the version that served it is not known (empty once found, or without one). */
  requestId: string;
  /** 0: no response. */
  status: number;
  durationMs: number;
}

export type Health = 'ok' | 'warn' | 'bad';

export interface GraphEdge {
  from: string;
  to: string;
  fromService: string;
  toService: string;
  requests: number;
  /** Answered with a 5xx, or not answered at all. */
  errors: number;
  rps: number;
  /** errors / requests. */
  errorRate: number;
  p50Ms: number;
  p99Ms: number;
  health: Health;
}

export interface GraphNode {
  service: string;
  /** The versions seen calling or called, sorted; empty for a gateway. */
  versions: string[];
  gateway: boolean;
}

export interface GraphReport {
  at: number;
  /** The time the counts are over (rps = requests / windowMs). */
  windowMs: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /**
   * Since when the proxies report every request (ms since the epoch; the API's answer, from
   * control/watchers.ts): a window reaching back before it saw only part of the calls. Null while
   * nobody watched; absent where nothing switches (every request is reported).
   */
  recordingSince?: number | null;
}

/** Error rates from which an edge is a warning, and bad. */
export const WARN_ERROR_RATE = 0.01;
export const BAD_ERROR_RATE = 0.1;

export function health(errorRate: number): Health {
  return errorRate >= BAD_ERROR_RATE ? 'bad' : errorRate >= WARN_ERROR_RATE ? 'warn' : 'ok';
}

/**
 * The caller of a proxy: a gateway is itself; a sidecar `SERVICE-VERSION` (config/names.ts
 * proxyId) is split at its last dash, unless `services` names a longer service it starts with.
 */
export function workloadOf(proxy: string, services: ReadonlySet<string> = new Set()): { service: string; version: string } {
  if (isGatewayProxy(proxy)) return { service: proxy, version: '' };
  const known = [...services].filter((s) => proxy.startsWith(`${s}-`)).sort((a, b) => b.length - a.length)[0];
  if (known) return { service: known, version: proxy.slice(known.length + 1) };
  const at = proxy.lastIndexOf('-');
  return at > 0 ? { service: proxy.slice(0, at), version: proxy.slice(at + 1) } : { service: proxy, version: '' };
}

/** The call a tap entry records, or undefined when it is no call between workloads. */
export function graphCall(entry: TapEntry, services?: ReadonlySet<string>): GraphCall | undefined {
  const to = destination(entry);
  if (!to) return undefined;
  const from = workloadOf(entry.proxy, services);
  return {
    at: entry.at,
    fromService: from.service,
    fromVersion: from.version,
    toService: to.service,
    toSubset: to.subset,
    status: entry.status,
    durationMs: entry.durationMs,
    // A call answered before any cluster was chosen reached no version.
    requestId: to.sent ? entry.requestId : '',
  };
}

/**
 * The version a sidecar's inbound entry says served a request: `REQUEST-ID|SERVICE` → version
 * (the caller's sidecar and the callee's log the same x-request-id), or undefined.
 */
export function servedBy(entry: TapEntry, services?: ReadonlySet<string>): { key: string; served: Served } | undefined {
  if (parseCluster(entry.upstreamCluster)?.direction !== 'inbound' || !entry.requestId || isGatewayProxy(entry.proxy)) return undefined;
  const { service, version } = workloadOf(entry.proxy, services);
  return version ? { key: servedKey(entry.requestId, service), served: { at: entry.at, version } } : undefined;
}

/** A version's sidecar got the request at `at`. */
export interface Served {
  at: number;
  version: string;
}

/** Clocks of the proxies of one machine: what the callee's start may precede the caller's by. */
const SKEW_MS = 5;

/**
 * Whether the callee's sidecar got it while the call was under way: the same request id may reach
 * a service more than once (retries, apps that pass it on), each try its own call.
 */
export function servedDuring(call: GraphCall, served: Served): boolean {
  return served.at >= call.at - SKEW_MS && served.at <= call.at + call.durationMs + SKEW_MS;
}

/** How long a call may wait for its callee's log (another proxy's stream) before it counts without it. */
export const SETTLE_MS = 1000;

export const servedKey = (requestId: string, service: string) => `${requestId}|${service}`;

/**
 * Where a call went: the service and subset of its outbound cluster; for a sidecar's request
 * answered before any cluster was chosen (a fault's abort, FI; a denial), the service its
 * authority names (`cart:9080`), with no subset.
 */
function destination(entry: TapEntry): { service: string; subset: string; sent: boolean } | undefined {
  const cluster = parseCluster(entry.upstreamCluster);
  if (cluster) return cluster.direction === 'outbound' ? { service: cluster.host.split('.')[0]!, subset: cluster.subset, sent: true } : undefined;
  if (entry.upstreamCluster !== '' || isGatewayProxy(entry.proxy) || entry.listener.startsWith('inbound')) return undefined;
  const host = entry.authority.replace(/:\d+$/, '');
  if (host === '' || isIP(host.replace(/^\[|\]$/g, '')) !== 0) return undefined;
  return { service: host.split('.')[0]!, subset: '', sent: false };
}


/** The `q` quantile (0–1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface GraphOptions {
  now: number;
  windowMs: number;
  /**
   * A call whose serving version is not known yet (a `requestId` left) is left out while younger
   * than this (its callee's log may still be on its way), counted with its subset after (0).
   */
  settleMs?: number;
  /** Services shown by version; every service when undefined. */
  expand?: ReadonlySet<string>;
}

const named = (service: string, version: string, expanded: boolean) => (expanded && version ? `${service}/${version}` : service);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The edges of the calls made in the `windowMs` before `now`, busiest first. */
export function buildGraph(calls: readonly GraphCall[], options: GraphOptions): GraphReport {
  const since = options.now - options.windowMs;
  const shown = (service: string) => options.expand === undefined || options.expand.has(service);
  const groups = new Map<string, { from: string; to: string; fromService: string; toService: string; durations: number[]; errors: number }>();
  const versions = new Map<string, Set<string>>();
  const gateways = new Set<string>();
  const seen = (service: string, version: string) => {
    const set = versions.get(service) ?? new Set<string>();
    versions.set(service, set);
    if (version) set.add(version);
  };
  for (const c of calls) {
    if (c.at <= since || c.at > options.now) continue;
    if (c.requestId && c.at + c.durationMs > options.now - (options.settleMs ?? 0)) continue;
    seen(c.fromService, c.fromVersion);
    seen(c.toService, c.toSubset);
    if (!c.fromVersion && isGatewayProxy(c.fromService)) gateways.add(c.fromService);
    const from = named(c.fromService, c.fromVersion, shown(c.fromService));
    const to = named(c.toService, c.toSubset, shown(c.toService));
    const key = `${from}\n${to}`;
    const group = groups.get(key) ?? { from, to, fromService: c.fromService, toService: c.toService, durations: [], errors: 0 };
    groups.set(key, group);
    group.durations.push(c.durationMs);
    if (c.status === 0 || c.status >= 500) group.errors++;
  }
  const seconds = options.windowMs / 1000;
  const edges = [...groups.values()].map((g): GraphEdge => {
    const sorted = g.durations.sort((a, b) => a - b);
    const errorRate = g.errors / sorted.length;
    return {
      from: g.from,
      to: g.to,
      fromService: g.fromService,
      toService: g.toService,
      requests: sorted.length,
      errors: g.errors,
      rps: round(sorted.length / seconds),
      errorRate: round(errorRate, 4),
      p50Ms: round(quantile(sorted, 0.5)),
      p99Ms: round(quantile(sorted, 0.99)),
      health: health(errorRate),
    };
  });
  edges.sort((a, b) => b.requests - a.requests || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  const nodes = [...versions.entries()]
    .map(([service, set]): GraphNode => ({ service, versions: [...set].sort(), gateway: gateways.has(service) }))
    .sort((a, b) => Number(b.gateway) - Number(a.gateway) || a.service.localeCompare(b.service));
  return { at: options.now, windowMs: options.windowMs, nodes, edges };
}

/**
 * The edges in the order of a walk from the gateways: each caller's edges together, callers
 * reached first first (gateway → frontend, then frontend's calls, …), with their depth.
 */
export function edgeTree(edges: readonly GraphEdge[]): Array<{ edge: GraphEdge; depth: number }> {
  const out: Array<{ edge: GraphEdge; depth: number }> = [];
  const placed = new Set<GraphEdge>();
  // A call to a service without a version (no subset) leads on to the calls of each of its versions.
  const callsOf = (to: string) => edges.filter((e) => (e.from === to || (!to.includes('/') && e.fromService === to)) && !placed.has(e)).sort((a, b) => a.to.localeCompare(b.to));
  const visit = (from: string, depth: number) => {
    for (const edge of callsOf(from)) {
      if (placed.has(edge)) continue;
      placed.add(edge);
      out.push({ edge, depth });
      visit(edge.to, depth + 1);
    }
  };
  const called = new Set(edges.map((e) => e.to));
  const isCalled = (e: GraphEdge) => called.has(e.from) || called.has(e.fromService);
  const roots = [...new Set(edges.map((e) => e.from))].sort(
    (a, b) => Number(edges.some((e) => e.from === a && isCalled(e))) - Number(edges.some((e) => e.from === b && isCalled(e))) || a.localeCompare(b),
  );
  for (const root of roots) visit(root, 0);
  return out;
}
