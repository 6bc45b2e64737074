// OTLP's trace service (opentelemetry.proto.collector.trace.v1.TraceService/Export) on the ADS
// server's port: every proxy's OpenTelemetry tracer (compile/tracing.ts) exports its spans here,
// decoded into Spans for the control plane's trace store (control/traces.ts). The protos are
// vendored under proto/opentelemetry (OpenTelemetry's, Apache-2.0).
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** One span as a proxy reported it; ids in lower-case hex, times in ms since the epoch. */
export interface Span {
  traceId: string;
  spanId: string;
  /** Empty for a trace's root. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  startMs: number;
  endMs: number;
  /** The exact times in nanoseconds since the epoch (as decimal strings: OTLP JSON's int64). */
  startNanos: string;
  endNanos: string;
  /** The Envoy node that reported it (its `node_id` tag): the proxy id. */
  proxy: string;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  status: number;
  /** The span's tags as strings (http.method, http.url, http.status_code, upstream_cluster, …). */
  attributes: Record<string, string>;
}

const PROTO_DIR = fileURLToPath(new URL('../../proto/opentelemetry/', import.meta.url));
let request: protobuf.Type | undefined;

function requestType(): protobuf.Type {
  if (!request) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => PROTO_DIR + target;
    root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: true });
    request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  }
  return request;
}

type Decoded = Record<string, unknown>;
const hex = (b: unknown) => (b instanceof Uint8Array ? Buffer.from(b).toString('hex') : '');

/** An AnyValue as a string (numbers and booleans printed, arrays and maps as JSON). */
function text(value: Decoded | undefined): string {
  if (!value) return '';
  for (const key of ['string_value', 'int_value', 'double_value', 'bool_value']) if (value[key] !== undefined) return String(value[key]);
  return JSON.stringify(value);
}

function attributes(list: unknown): Record<string, string> {
  return Object.fromEntries(((list as Array<{ key: string; value?: Decoded }> | undefined) ?? []).map((a) => [a.key, text(a.value)]));
}

/** The spans of one ExportTraceServiceRequest. */
export function decodeSpans(bytes: Uint8Array): Span[] {
  const type = requestType();
  const m = type.toObject(type.decode(bytes), { longs: String, arrays: true, enums: Number }) as Decoded;
  return ((m.resource_spans as Decoded[] | undefined) ?? []).flatMap((rs) =>
    ((rs.scope_spans as Decoded[] | undefined) ?? []).flatMap((ss) =>
      ((ss.spans as Decoded[] | undefined) ?? []).map((s) => {
        const attrs = attributes(s.attributes);
        const startNanos = String(s.start_time_unix_nano ?? '0');
        const endNanos = String(s.end_time_unix_nano ?? '0');
        return {
          traceId: hex(s.trace_id),
          spanId: hex(s.span_id),
          parentSpanId: hex(s.parent_span_id),
          name: String(s.name ?? ''),
          kind: Number(s.kind ?? 0),
          startMs: Number(BigInt(startNanos) / 1000n) / 1000,
          endMs: Number(BigInt(endNanos) / 1000n) / 1000,
          startNanos,
          endNanos,
          proxy: attrs['node_id'] ?? '',
          status: Number((s.status as Decoded | undefined)?.code ?? 0),
          attributes: attrs,
        };
      }),
    ),
  );
}

const identity = (b: Buffer): Buffer => b;

/** TraceService for grpc-js: unary Export, answered with an empty ExportTraceServiceResponse. */
export const traceService = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: (b: Buffer) => decodeSpans(b),
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: identity,
  },
} satisfies ServiceDefinition;
