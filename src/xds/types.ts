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
}

/** Like istioctl proxy-status: SYNCED, NOT SENT, STALE (sent, not yet acked), or NACK. */
export type SyncState = 'SYNCED' | 'NOT SENT' | 'STALE' | 'NACK';

export interface ProxyStatus {
  /** Envoy node id: `SERVICE-VERSION` or `mesh-gateway`. */
  id: string;
  service?: string;
  version?: string;
  connected: boolean;
  connectedAt?: number;
  disconnectedAt?: number;
  types: Record<ResourceKind, TypeStatus & { state: SyncState }>;
}

export type XdsEvent =
  | { type: 'connected' | 'disconnected'; proxy: string; at: number }
  | { type: 'pushed'; proxy: string; kind: ResourceKind; version: string; resources: string[]; at: number }
  | { type: 'acked'; proxy: string; kind: ResourceKind; version: string; latencyMs: number; at: number }
  | { type: 'nacked'; proxy: string; kind: ResourceKind; version: string; message: string; at: number };
