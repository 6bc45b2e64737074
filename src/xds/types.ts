// What the xDS server reports about each proxy and what it tells listeners as it happens.
// Shared by the control plane's HTTP API, the CLI (proxy-status) and later the TUI.
import type { ResourceKind } from '../envoy/snapshot.ts';

/** One proxy's state for one resource type (LDS, RDS, CDS or EDS). */
export interface TypeStatus {
  /** Version of the cache for this proxy and type (changes when its resources change). */
  latestVersion?: string;
  /** Last version sent on the stream, its nonce and when (ms since epoch). */
  sentVersion?: string;
  sentNonce?: string;
  sentAt?: number;
  /** Last version the proxy ACKed, and when. */
  ackedVersion?: string;
  ackedAt?: number;
  /** The last NACK: the version rejected and Envoy's message. Cleared by a later ACK. */
  nack?: { version: string; message: string; at: number };
  /** Time from the last push to its ACK. */
  lastAckLatencyMs?: number;
  /** The proxy asked for this type on its stream (a push answers a request, so one sent counts too). */
  subscribed?: boolean;
  /** How many resources of this type the proxy's latest snapshot holds; undefined without a snapshot. */
  resources?: number;
}

/**
 * Like istioctl proxy-status: SYNCED (the latest version ACKed), STALE (sent, not yet ACKed),
 * NACK (rejected, with Envoy's message), NOT SENT (asked for or due, nothing sent yet), and
 * NOT USED: a type the proxy never asked for and has nothing of (EDS on Compose, where Envoy
 * finds endpoints by DNS) — no news about being in sync, shown as `-`.
 */
export type SyncState = 'SYNCED' | 'NOT SENT' | 'STALE' | 'NACK' | 'NOT USED';

export interface ProxyStatus {
  /** Envoy node id: `SERVICE-VERSION` or `mesh-gateway`. */
  id: string;
  service?: string;
  version?: string;
  connected: boolean;
  connectedAt?: number;
  disconnectedAt?: number;
  /** The types the proxy subscribed to on its stream, in RESOURCE_KINDS order. */
  subscribed: ResourceKind[];
  types: Record<ResourceKind, TypeStatus & { state: SyncState }>;
  /**
   * The proxy's one sync state, the worst of its types' (NOT USED ones left out; SYNCED when
   * all are): what status, readiness, proxy-status and the dashboard all read (see xds/sync.ts).
   */
  sync: SyncState;
}

export type XdsEvent =
  | { type: 'connected' | 'disconnected'; proxy: string; at: number }
  | { type: 'pushed'; proxy: string; kind: ResourceKind; version: string; resources: string[]; at: number }
  | { type: 'acked'; proxy: string; kind: ResourceKind; version: string; latencyMs: number; at: number }
  | { type: 'nacked'; proxy: string; kind: ResourceKind; version: string; message: string; at: number };
