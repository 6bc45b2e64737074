// What the server knows of each proxy: connection, and per resource type whether the proxy
// subscribed, the version sent, ACKed or NACKed (with Envoy's message) and the push-to-ACK
// latency; the sync state derived from it by xds/sync.ts. Streams report through a
// ProxyHandle; a handle whose stream was replaced by a newer connection of the same proxy is
// ignored. Every change is also an XdsEvent for subscribers.
import { RESOURCE_KINDS, type ResourceKind } from '../envoy/snapshot.ts';
import type { SnapshotCache } from './cache.ts';
import { proxySync, syncState } from './sync.ts';
import type { ProxyStatus, TypeStatus, XdsEvent } from './types.ts';

export interface ProxyHandle {
  /** The proxy asked for this type (any request of it; repeats change nothing). */
  subscribed(kind: ResourceKind): void;
  pushed(kind: ResourceKind, version: string, nonce: string, resources: string[]): void;
  acked(kind: ResourceKind, version: string): void;
  nacked(kind: ResourceKind, version: string, message: string): void;
  disconnected(): void;
}

interface ProxyRecord {
  handle: ProxyHandle;
  service?: string;
  version?: string;
  connected: boolean;
  connectedAt: number;
  disconnectedAt?: number;
  types: Partial<Record<ResourceKind, TypeStatus>>;
}

export type XdsListener = (event: XdsEvent) => void;

export class StatusBoard {
  #cache: SnapshotCache;
  #proxies = new Map<string, ProxyRecord>();
  #listeners = new Set<XdsListener>();

  constructor(cache: SnapshotCache) {
    this.#cache = cache;
  }

  subscribe(fn: XdsListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** A stream identified its proxy: a fresh record (state is per connection, as in istioctl). */
  connect(proxy: string, node: { service?: string; version?: string }): ProxyHandle {
    const at = Date.now();
    const type = (kind: ResourceKind): TypeStatus => (record.types[kind] ??= {});
    const live = (): boolean => this.#proxies.get(proxy) === record;
    const handle: ProxyHandle = {
      subscribed: (kind) => {
        if (live()) type(kind).subscribed = true;
      },
      pushed: (kind, version, nonce, resources) => {
        if (!live()) return;
        const now = Date.now();
        Object.assign(type(kind), { sentVersion: version, sentNonce: nonce, sentAt: now });
        this.#emit({ type: 'pushed', proxy, kind, version, resources, at: now });
      },
      acked: (kind, version) => {
        if (!live()) return;
        const now = Date.now();
        const t = type(kind);
        const latencyMs = now - (t.sentAt ?? now);
        Object.assign(t, { ackedVersion: version, ackedAt: now, lastAckLatencyMs: latencyMs, nack: undefined });
        this.#emit({ type: 'acked', proxy, kind, version, latencyMs, at: now });
      },
      nacked: (kind, version, message) => {
        if (!live()) return;
        const now = Date.now();
        type(kind).nack = { version, message, at: now };
        this.#emit({ type: 'nacked', proxy, kind, version, message, at: now });
      },
      disconnected: () => {
        if (!live() || !record.connected) return;
        record.connected = false;
        record.disconnectedAt = Date.now();
        this.#emit({ type: 'disconnected', proxy, at: record.disconnectedAt });
      },
    };
    const record: ProxyRecord = { handle, ...node, connected: true, connectedAt: at, types: {} };
    this.#proxies.set(proxy, record);
    this.#emit({ type: 'connected', proxy, at });
    return handle;
  }

  /** Every proxy that has a snapshot or has connected, sorted by id. */
  status(): ProxyStatus[] {
    const ids = [...new Set([...this.#cache.proxies(), ...this.#proxies.keys()])].sort();
    return ids.map((id) => {
      const record = this.#proxies.get(id);
      const cached = this.#cache.getSnapshot(id);
      const types = {} as ProxyStatus['types'];
      for (const kind of RESOURCE_KINDS) {
        const t: TypeStatus = {
          ...record?.types[kind],
          latestVersion: cached?.types[kind].version,
          ...(cached ? { resources: cached.types[kind].resources.length } : {}),
        };
        types[kind] = { ...t, state: syncState(t, kind) };
      }
      return {
        id,
        service: record?.service ?? cached?.snapshot.service,
        version: record?.version ?? cached?.snapshot.version,
        connected: record?.connected ?? false,
        connectedAt: record?.connectedAt,
        disconnectedAt: record?.disconnectedAt,
        subscribed: RESOURCE_KINDS.filter((kind) => types[kind].subscribed === true),
        types,
        sync: proxySync(types),
      };
    });
  }

  #emit(event: XdsEvent): void {
    for (const fn of [...this.#listeners]) fn(event);
  }
}
