// Envoy's gRPC access log service (envoy.service.accesslog.v3.AccessLogService) on the ADS
// server's port: every proxy streams one entry per HTTP request (compile/listeners.ts configures
// it on each HTTP connection manager, log name = the listener's stat prefix), decoded here into a
// TapEntry for `mesh tap` and the control plane's tap store (control/tap.ts).
import type { ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { envoyRoot } from '../envoy/proto.ts';

/** One request as a proxy saw it. */
export interface TapEntry {
  /** Milliseconds since the epoch when the proxy got the request. */
  at: number;
  proxy: string;
  /** The HTTP connection manager it passed: `gateway_80`, `inbound_9080`, `outbound_0.0.0.0_9080`, … */
  listener: string;
  method: string;
  authority: string;
  path: string;
  /** 0 when the proxy sent no response (the client went away). */
  status: number;
  /** Envoy's response flags (UF, UH, NR, URX, …), empty when none. */
  flags: string[];
  /** The cluster it was sent to: `outbound|9080|v2|reviews.default.svc.cluster.local`, `inbound|9080||`. */
  upstreamCluster: string;
  /** From the first byte received to the last byte sent, in ms. */
  durationMs: number;
  requestId: string;
  /** The caller's address as the proxy saw it. */
  source: string;
  /** Logged request headers (user-agent, end-user, traceparent, …), lower-case names. */
  headers: Record<string, string>;
}

/** Envoy's short names of ResponseFlags fields (as in %RESPONSE_FLAGS%). */
const FLAGS: Record<string, string> = {
  failed_local_healthcheck: 'LH', no_healthy_upstream: 'UH', upstream_request_timeout: 'UT', local_reset: 'LR',
  upstream_remote_reset: 'UR', upstream_connection_failure: 'UF', upstream_connection_termination: 'UC',
  upstream_overflow: 'UO', no_route_found: 'NR', delay_injected: 'DI', fault_injected: 'FI', rate_limited: 'RL',
  unauthorized_details: 'UAEX', rate_limit_service_error: 'RLSE', downstream_connection_termination: 'DC',
  upstream_retry_limit_exceeded: 'URX', stream_idle_timeout: 'SI', invalid_envoy_request_headers: 'IH',
  downstream_protocol_error: 'DPE', upstream_max_stream_duration_reached: 'UMSDR', response_from_cache_filter: 'RFCF',
  no_filter_config_found: 'NFCF', duration_timeout: 'DT', upstream_protocol_error: 'UPE', no_cluster_found: 'NC',
  overload_manager: 'OM', dns_resolution_failure: 'DF', downstream_remote_reset: 'DRR',
};

const METHODS = ['', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

type Decoded = Record<string, unknown>;
let message: protobuf.Type | undefined;
const messageType = () => (message ??= envoyRoot().lookupType('envoy.service.accesslog.v3.StreamAccessLogsMessage'));

const ms = (d: unknown) => {
  const { seconds = 0, nanos = 0 } = (d ?? {}) as { seconds?: number; nanos?: number };
  return Number(seconds) * 1000 + Number(nanos) / 1e6;
};

function address(a: unknown): string {
  const s = (a as { socket_address?: { address?: string; port_value?: number } } | undefined)?.socket_address;
  return s ? `${s.address ?? ''}:${s.port_value ?? 0}` : '';
}

/** One decoded message of a stream: the identifier (first message only) and the HTTP entries. */
export interface AccessLogMessage {
  proxy?: string;
  logName?: string;
  entries: Array<Omit<TapEntry, 'proxy' | 'listener'>>;
}

export function decodeAccessLogs(bytes: Uint8Array): AccessLogMessage {
  const type = messageType();
  const m = type.toObject(type.decode(bytes), { arrays: true, longs: Number, enums: Number }) as Decoded;
  const identifier = m.identifier as { node?: { id?: string }; log_name?: string } | undefined;
  const logs = ((m.http_logs as { log_entry?: Decoded[] } | undefined)?.log_entry ?? []).map((e) => {
    const common = (e.common_properties ?? {}) as Decoded;
    const request = (e.request ?? {}) as Decoded;
    const response = (e.response ?? {}) as Decoded;
    const flags = Object.entries((common.response_flags ?? {}) as Record<string, unknown>)
      .filter(([k, v]) => v === true && FLAGS[k])
      .map(([k]) => FLAGS[k]!);
    const headers = Object.fromEntries(Object.entries((request.request_headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      at: ms(common.start_time),
      method: METHODS[Number(request.request_method ?? 0)] ?? String(request.request_method),
      authority: String(request.authority ?? ''),
      path: String(request.path ?? ''),
      status: Number((response.response_code as { value?: number } | undefined)?.value ?? 0),
      flags,
      upstreamCluster: String(common.upstream_cluster ?? ''),
      durationMs: Math.round(ms(common.time_to_last_downstream_tx_byte) * 100) / 100,
      requestId: String(request.request_id ?? ''),
      source: address(common.downstream_remote_address),
      headers,
    };
  });
  return { ...(identifier?.node?.id ? { proxy: identifier.node.id } : {}), ...(identifier?.log_name ? { logName: identifier.log_name } : {}), entries: logs };
}

const identity = (b: Buffer): Buffer => b;

/** AccessLogService for grpc-js: a client stream of messages, answered once with an empty response. */
export const accessLogService = {
  StreamAccessLogs: {
    path: '/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs',
    requestStream: true,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: (b: Buffer) => decodeAccessLogs(b),
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: identity,
  },
} satisfies ServiceDefinition;
