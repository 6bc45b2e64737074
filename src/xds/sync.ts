// The one rule for "is this proxy in sync?", from what the server knows per proxy and type: what
// the proxy subscribed to, what was sent, ACKed or NACKed, and what its latest snapshot holds.
// The status board publishes its result (ProxyStatus.state per type, ProxyStatus.sync per proxy);
// `mesh status`, `mesh up`'s readiness, `mesh proxy-status` and the dashboard read only that.
import { RESOURCE_KINDS, type ResourceKind } from '../envoy/snapshot.ts';
import type { ProxyStatus, SyncState, TypeStatus } from './types.ts';

/** Types a proxy may not ask for at all (the runtime layer: a bootstrap without RTDS): NOT USED until it does. */
const OPTIONAL = new Set<ResourceKind>(['runtime']);

/** One type's state; see SyncState. */
export function syncState(t: TypeStatus, kind?: ResourceKind): SyncState {
  if (t.nack) return 'NACK';
  if (kind && OPTIONAL.has(kind) && t.subscribed !== true) return 'NOT USED';
  // Not asked for, and the snapshot holds nothing of it: nothing to be in sync with. With
  // resources the proxy will ask (RDS comes after LDS), and without a snapshot nothing is known.
  // (A push answers a request, so a type sent was asked for.)
  if (t.sentVersion === undefined) return t.subscribed !== true && t.resources === 0 ? 'NOT USED' : 'NOT SENT';
  return t.ackedVersion !== undefined && t.ackedVersion === t.latestVersion ? 'SYNCED' : 'STALE';
}

/** How far from SYNCED each state is, for the worst of a proxy's types. */
const SEVERITY: Record<SyncState, number> = { 'NOT USED': -1, SYNCED: 0, 'NOT SENT': 1, STALE: 2, NACK: 3 };

/** A proxy's state: the worst of its types' that are used; SYNCED when every used type is. */
export function proxySync(types: Readonly<Record<ResourceKind, { state: SyncState }>>): SyncState {
  return RESOURCE_KINDS.map((kind) => types[kind].state).reduce<SyncState>((worst, s) => (SEVERITY[s] > SEVERITY[worst] ? s : worst), 'SYNCED');
}

/** Connected, and every type it uses ACKed at the version serving. */
export const isSynced = (p: Pick<ProxyStatus, 'connected' | 'sync'>): boolean => p.connected && p.sync === 'SYNCED';

/**
 * The proxies of `ids` that are not in sync now, each with why: `reviews-v1 (not connected)`,
 * `reviews-v1 (routes STALE, endpoints NOT SENT)`; empty when all are.
 */
export function notSynced(proxies: readonly ProxyStatus[], ids: readonly string[]): string[] {
  const byId = new Map(proxies.map((p) => [p.id, p]));
  return ids.flatMap((id) => {
    const p = byId.get(id);
    if (!p?.connected) return [`${id} (not connected)`];
    if (isSynced(p)) return [];
    const behind = RESOURCE_KINDS.filter((k) => p.types[k].state !== 'SYNCED' && p.types[k].state !== 'NOT USED');
    return [`${id} (${behind.map((k) => `${k} ${p.types[k].state}`).join(', ')})`];
  });
}
