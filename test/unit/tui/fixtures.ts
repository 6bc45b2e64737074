// A dashboard state as the effects would build it for examples/canary: the mesh files, three
// SYNCED proxies, traffic split 89/11 over the last seconds, a few events, a log tail.
import { loadMesh } from '../../../src/config/index.ts';
import type { ControlEvent } from '../../../src/control/events.ts';
import type { SubsetTraffic, TrafficReport } from '../../../src/control/traffic.ts';
import { meshView, type MeshView } from '../../../src/tui/mesh-view.ts';
import { initialState, reduce, type Action, type DashboardState } from '../../../src/tui/state.ts';
import { RESOURCE_KINDS } from '../../../src/envoy/snapshot.ts';
import type { ProxyStatus, SyncState } from '../../../src/xds/types.ts';

export const CANARY = new URL('../../../examples/canary/', import.meta.url).pathname;

let canary: MeshView | undefined;
export async function canaryView(): Promise<MeshView> {
  if (canary) return canary;
  const { model } = await loadMesh(CANARY);
  return (canary = meshView(model!));
}

export function proxy(id: string, state: SyncState = 'SYNCED', connected = true): ProxyStatus {
  const type = { state, ...(state === 'NACK' ? { nack: { version: '2', message: 'route: unknown cluster', at: 0 } } : {}) };
  const [service, version] = id === 'mesh-gateway' ? [undefined, undefined] : id.split('-');
  return {
    id,
    ...(service ? { service, version } : {}),
    connected,
    subscribed: state === 'NOT SENT' ? [] : [...RESOURCE_KINDS],
    types: { listeners: type, routes: type, clusters: type, endpoints: type, secrets: type, runtime: type },
    sync: state,
  };
}

export function subset(name: string, rps: number, extra: Partial<SubsetTraffic> = {}): SubsetTraffic {
  const host = 'reviews.default.svc.cluster.local';
  return { cluster: `outbound|9080|${name}|${host}`, host, port: 9080, subset: name, requests: rps * 3, rps, successRate: 1, p50Ms: 1.5, p99Ms: 9, ...extra };
}

export function traffic(subsets: SubsetTraffic[]): TrafficReport {
  return { at: 0, windowMs: 3000, proxies: [], routes: [], subsets };
}

const AT = Date.UTC(2025, 0, 1, 12, 0, 0);
export const EVENTS: ControlEvent[] = [
  { id: 1, type: 'changed', files: ['/tmp/canary/reviews.yaml'], at: AT, ms: 51 },
  { id: 2, type: 'invalid', diagnostics: [{ file: '/tmp/canary/reviews.yaml', line: 17, col: 19, severity: 'error', message: 'weight must be a number' }], serving: '2-ab12', at: AT + 1000, ms: 3 },
  { id: 3, type: 'compiled', version: '3-cd34', proxies: ['mesh-gateway', 'reviews-v1', 'reviews-v2'], warnings: 0, at: AT + 2000, ms: 12 },
  { id: 4, type: 'pushed', proxy: 'mesh-gateway', kind: 'routes', version: '3-cd34', resources: ['80'], at: AT + 2001 },
  { id: 5, type: 'acked', proxy: 'mesh-gateway', kind: 'routes', version: '3-cd34', latencyMs: 7, at: AT + 2008, ms: 7 },
  { id: 6, type: 'nacked', proxy: 'reviews-v2', kind: 'routes', version: '3-cd34', message: 'bad regex', at: AT + 2010 },
];

/** The canary dashboard at 80×24 with everything reported once. */
export async function canaryState(more: Action[] = []): Promise<DashboardState> {
  const actions: Action[] = [
    { type: 'connection', ok: true },
    { type: 'status', status: { dir: CANARY, version: '3-cd34', valid: true, diagnostics: [], proxies: ['mesh-gateway', 'reviews-v1', 'reviews-v2'] } },
    { type: 'mesh', mesh: await canaryView() },
    { type: 'proxies', proxies: [proxy('mesh-gateway'), proxy('reviews-v1'), proxy('reviews-v2')] },
    { type: 'processes', processes: [{ name: 'reviews-v1', running: true }, { name: 'reviews-v2', running: true }, { name: 'mesh-gateway', running: true }] },
    ...[10, 20, 30].map((rps): Action => ({ type: 'traffic', traffic: traffic([subset('v1', rps * 0.89), subset('v2', rps * 0.11)]) })),
    { type: 'events', events: EVENTS },
    { type: 'logs', name: 'reviews-v1', lines: ['reviews v1 listening on :9080'] },
    ...more,
  ];
  return actions.reduce(reduce, initialState({ api: 'http://127.0.0.1:15080', dir: CANARY }));
}
