// What each pane lists, worked out from the dashboard state: services with their process and
// proxy sync state, routes with their weights and the traffic each destination received, traffic
// per service and subset, events as lines. Pure selectors shared by the reducer, the components
// and the effects (which route is selected, which log to read).
import { basename } from 'node:path';
import { GATEWAY_PROXY, proxyId } from '../config/names.ts';
import type { ResourceKind } from '../envoy/snapshot.ts';
import type { ControlEvent } from '../control/events.ts';
import { concerns } from '../control/tap-filter.ts';
import type { TapEntry } from '../xds/access-log.ts';
import { edgeTree, type GraphEdge } from '../control/graph.ts';
import type { SyncState } from '../xds/types.ts';
import type { RouteInfo } from './mesh-view.ts';
import type { CanaryState } from '../canary/run.ts';
import { currentWeights, selectedSubset, type DashboardState, type Pane, type ProcessInfo } from './state.ts';

export interface ServiceRow {
  /** The proxy id: `SERVICE-VERSION`, or mesh-gateway. */
  id: string;
  service: string;
  version: string;
  /** The app's process (the gateway's Envoy for the gateway); undefined when unknown. */
  /** The app: running (with its restarts, `running ×2`), exited, or unreachable (its pod's holder or sidecar is down). */
  process?: string;
  /** The proxy's xDS state as the server publishes it, or `NOT CONNECTED`. */
  sync: SyncState | 'NOT CONNECTED';
  /** Envoy's message when it rejected a version. */
  nack?: string;
  /** Its SPIFFE identity, and the mTLS its sidecar serves (none: plain text). */
  identity?: string;
  mtls?: 'STRICT' | 'PERMISSIVE' | 'DISABLE';
}

export interface RouteRow {
  route: RouteInfo;
  weights: number[];
  /** Share (0–1) of the requests each destination received lately; null without traffic. */
  observed: Array<number | null>;
  /** The weights shown were written by the dashboard and are not yet in the files it read. */
  pending: boolean;
  subset: number;
  /** The line on the canary of this route, when `mesh canary` runs (or last ran) on it. */
  canary?: string;
}

export interface TrafficRow {
  /** The service FQDN for a service, the cluster for a subset. */
  key: string;
  service: string;
  /** Empty for the service as a whole. */
  subset: string;
  rps: number;
  /** Share of requests answered with a 5xx; null without requests. */
  errorRate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  history: number[];
}

const DOING = { restart: 'restarting…', sync: 'syncing…', rebuild: 'rebuilding…', 'sync+restart': 'syncing…' } as const;

function loopText(loop: NonNullable<ProcessInfo['loop']>): string {
  if (loop.state === 'restarting') return DOING[loop.action];
  if (loop.state === 'failed') return `${loop.action.replace('sync+restart', 'sync')} ✗`;
  return loop.servingMs === undefined ? 'new code' : `new ${(loop.servingMs / 1000).toFixed(2)} s`;
}

/**
 * The process column: exited, unreachable, or under `mesh up --watch` the last inner loop
 * (`restarting…`, `new 0.43 s` from the save until the new code served, `restart ✗` when the new
 * code did not come up and the old one serves), else running with its restarts.
 */
function processText(record: ProcessInfo): string {
  if (!record.running) return 'exited';
  if (record.problem?.startsWith('unreachable')) return 'unreachable';
  if (record.loop) return loopText(record.loop);
  return record.restarts ? `running ×${record.restarts}` : 'running';
}

export function serviceRows(state: DashboardState): ServiceRow[] {
  const ids = [
    ...(state.mesh?.services.flatMap((s) => s.versions.map((v) => ({ id: proxyId(s.name, v), service: s.name, version: v }))) ?? []),
    { id: GATEWAY_PROXY, service: GATEWAY_PROXY, version: '' },
  ];
  for (const p of state.proxies) {
    if (!ids.some((r) => r.id === p.id)) ids.push({ id: p.id, service: p.service ?? p.id, version: p.version ?? '' });
  }
  return ids.map(({ id, service, version }) => {
    const proxy = state.proxies.find((p) => p.id === id);
    // The server's verdict (xds/sync.ts): a type the proxy does not use is no news.
    const nack = proxy ? Object.values(proxy.types).find((t) => t.nack)?.nack?.message : undefined;
    const record = state.processes?.find((p) => p.name === id);
    const security = state.mesh?.services.find((s) => s.name === service)?.security?.[version];
    return {
      id,
      service,
      version,
      ...(security ? { identity: security.identity, ...(security.mtls ? { mtls: security.mtls } : {}) } : {}),
      ...(record ? { process: processText(record) } : {}),
      // What the control plane said last is not news when it no longer answers.
      sync: proxy?.connected && state.connection !== 'down' ? proxy.sync : 'NOT CONNECTED',
      ...(nack ? { nack } : {}),
    } satisfies ServiceRow;
  });
}

/** Whether the canary (running or finished) is of this route. */
function canaryOf(state: DashboardState, route: RouteInfo): boolean {
  const canary = state.canary!;
  return route.destinations.some((d) => d.host === canary.host || d.host.split('.')[0] === canary.host) && route.destinations.some((d) => d.label === canary.to);
}

/** One line on a route's canary: `canary → v2 step 2/3 at 50% · 0 of 2 checks failed · error rate 0% ≤ 1%`. */
export function canaryText(canary: CanaryState): string {
  const last = canary.checks.at(-1);
  const gates = last ? ` · ${last.gates.filter((g) => g.name !== 'requests').map((g) => g.text).join(', ') || last.gates.map((g) => g.text).join(', ')}` : '';
  if (canary.phase === 'progressing' || canary.phase === 'paused') {
    return `canary → ${canary.to} step ${canary.step + 1}/${canary.steps.length} at ${canary.weight}%${canary.phase === 'paused' ? ' PAUSED' : ''} · ` +
      `${canary.failures} of ${canary.threshold} failed${gates} (c pause, p promote, r abort)`;
  }
  return `canary → ${canary.to}: ${canary.phase}${canary.message ? ` (${canary.message.replace(/^[a-z ]+: /, '')})` : ''}`;
}

export function routeRows(state: DashboardState): RouteRow[] {
  return (state.mesh?.routes ?? []).map((route) => {
    const rps = route.destinations.map(
      (d) => state.traffic?.subsets.filter((s) => s.host === d.host && s.subset === d.subset).reduce((sum, s) => sum + s.rps, 0) ?? 0,
    );
    const total = rps.reduce((a, b) => a + b, 0);
    return {
      route,
      weights: currentWeights(state, route),
      observed: rps.map((r) => (total > 0 ? r / total : null)),
      pending: state.pending[route.key] !== undefined,
      subset: selectedSubset(state, route),
      ...(state.canary && canaryOf(state, route) ? { canary: canaryText(state.canary) } : {}),
    };
  });
}

export function trafficRows(state: DashboardState): TrafficRow[] {
  const subsets = state.traffic?.subsets ?? [];
  const hosts = [...new Set(subsets.map((s) => s.host))].sort();
  return hosts.flatMap((host) => {
    const own = subsets.filter((s) => s.host === host);
    const requests = own.reduce((n, s) => n + s.requests, 0);
    const errors = own.reduce((n, s) => n + s.requests * (1 - (s.successRate ?? 1)), 0);
    const withLatency = own.filter((s) => s.p50Ms !== null && s.requests > 0);
    const service: TrafficRow = {
      key: host,
      service: host.split('.')[0]!,
      subset: '',
      rps: Math.round(own.reduce((n, s) => n + s.rps, 0) * 100) / 100,
      errorRate: requests > 0 ? errors / requests : null,
      // Percentiles do not add up: the requests-weighted p50, and the worst p99, of the subsets.
      p50Ms: withLatency.length ? withLatency.reduce((n, s) => n + s.p50Ms! * s.requests, 0) / withLatency.reduce((n, s) => n + s.requests, 0) : null,
      p99Ms: withLatency.length ? Math.max(...withLatency.map((s) => s.p99Ms ?? 0)) : null,
      history: state.history[host] ?? [],
    };
    const rows = own
      .filter((s) => s.subset !== '')
      .map((s): TrafficRow => ({
        key: s.cluster,
        service: service.service,
        subset: s.subset,
        rps: s.rps,
        errorRate: s.successRate === null ? null : 1 - s.successRate,
        p50Ms: s.p50Ms,
        p99Ms: s.p99Ms,
        history: state.history[s.cluster] ?? [],
      }));
    return [service, ...rows];
  });
}

const KIND: Record<ResourceKind, string> = { listeners: 'LDS', routes: 'RDS', clusters: 'CDS', endpoints: 'EDS', secrets: 'SDS', runtime: 'RTDS' };

export interface EventLine {
  time: string;
  text: string;
  error: boolean;
}

export function eventLine(e: ControlEvent): EventLine {
  const time = new Date(e.at).toTimeString().slice(0, 8);
  const line = (text: string, error = false) => ({ time, text, error });
  const v = (version: string) => version.slice(0, 8);
  switch (e.type) {
    case 'changed':
      return line(`changed ${e.files.map((f) => basename(f)).join(', ')}, settled ${e.ms} ms`);
    case 'invalid': {
      const d = e.diagnostics.find((x) => x.severity === 'error') ?? e.diagnostics[0];
      const where = d ? (d.line > 0 ? `${basename(d.file)}:${d.line}:${d.col}` : basename(d.file)) : '';
      return line(`invalid ${where} ${d?.message ?? ''}${e.serving ? ` (still serving ${e.serving})` : ''}`, true);
    }
    case 'compiled':
      return line(`compiled ${e.version} in ${e.ms} ms for ${e.proxies.length} proxies`);
    case 'unchanged':
      return line(`unchanged (${e.version})`);
    case 'pushed':
      return line(`pushed ${KIND[e.kind]} ${e.proxy} (${v(e.version)})`);
    case 'acked':
      return line(`acked ${KIND[e.kind]} ${e.proxy} ${e.latencyMs} ms (${v(e.version)})`);
    case 'nacked':
      return line(`NACK ${KIND[e.kind]} ${e.proxy}: ${e.message} (${v(e.version)})`, true);
    case 'connected':
    case 'disconnected':
      return line(`${e.proxy} ${e.type}`, e.type === 'disconnected');
  }
}

export function selectedRoute(state: DashboardState): RouteInfo | undefined {
  const routes = state.mesh?.routes ?? [];
  return routes[Math.min(state.selected.routes, routes.length - 1)];
}

export function selectedService(state: DashboardState): ServiceRow | undefined {
  const rows = serviceRows(state);
  return rows[Math.min(state.selected.services, rows.length - 1)];
}

export function rowCount(state: DashboardState, pane: Pane): number {
  switch (pane) {
    case 'services':
      return serviceRows(state).length;
    case 'routes':
      return state.mesh?.routes.length ?? 0;
    case 'traffic':
      return state.trafficView === 'graph' ? graphRows(state).length : trafficRows(state).length;
    case 'events':
      return state.eventsView === 'requests' ? requestRows(state).length : state.events.length;
    case 'logs':
      return state.logs.lines.length;
  }
}

/** The requests of the tap the events pane shows: those of the selected service's version (the gateway's own for it). */
export function requestRows(state: DashboardState): TapEntry[] {
  const row = selectedService(state);
  if (!row) return state.requests;
  return state.requests.filter((e) => (row.id === e.proxy) || (row.service !== row.id && concerns(e, row.service, row.version)));
}

/** One request, short: `14:16:00.241 mesh-gateway GET / 200 3.3ms → reviews/v2`. */
export function requestLine(e: TapEntry): { time: string; text: string; error: boolean } {
  const [direction, , subset, host] = e.upstreamCluster.split('|');
  const to = direction === 'outbound' && host ? `${host.split('.')[0]}${subset ? `/${subset}` : ''}` : direction === 'inbound' ? 'app' : e.upstreamCluster || '-';
  const status = `${e.status || '-'}${e.flags.length ? ` ${e.flags.join(',')}` : ''}`;
  return {
    time: new Date(e.at).toISOString().slice(11, 19),
    text: `${e.proxy} ${e.method} ${e.path} ${status} ${e.durationMs.toFixed(1)}ms → ${to}`,
    error: e.status === 0 || e.status >= 500,
  };
}

export interface GraphRow {
  edge: GraphEdge;
  /** How many calls down from a gateway (or from a caller nothing calls). */
  depth: number;
  /** `gateway → reviews/v2`: the gateway's proxy id shortened (mesh-gateway-egress → gateway-egress). */
  text: string;
}

const shortName = (name: string) => name.replace(/^mesh-gateway/, 'gateway');

/** The graph pane's lines: one per edge, from the gateway down (control/graph.ts edgeTree). */
export function graphRows(state: DashboardState): GraphRow[] {
  return edgeTree(state.graph?.edges ?? []).map(({ edge, depth }) => ({ edge, depth, text: `${' '.repeat(depth)}${shortName(edge.from)} → ${shortName(edge.to)}` }));
}
