// OTLP's ExportTraceServiceRequest, encoded with OpenTelemetry's protos, decoded into Spans.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeSpans } from '../../../src/xds/trace-service.ts';

const DIR = fileURLToPath(new URL('../../../proto/opentelemetry/', import.meta.url));

function encode(request: object): Uint8Array {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => DIR + target;
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: true });
  const type = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  return type.encode(type.fromObject(request)).finish();
}

const bytes = (hex: string) => Buffer.from(hex, 'hex');

describe('decodeSpans', () => {
  it('reads ids as hex, times as ms and exact nanoseconds, tags as strings, the proxy from node_id', () => {
    const spans = decodeSpans(encode({
      resource_spans: [{
        resource: { attributes: [{ key: 'service.name', value: { string_value: 'localmesh' } }] },
        scope_spans: [{
          spans: [
            {
              trace_id: bytes('0af7651916cd43dd8448eb211c80319c'), span_id: bytes('b7ad6b7169203331'), parent_span_id: bytes('00f067aa0ba902b7'),
              name: 'egress', kind: 3, start_time_unix_nano: '1800000000123456789', end_time_unix_nano: '1800000000223456789',
              attributes: [
                { key: 'node_id', value: { string_value: 'catalog-v1' } },
                { key: 'http.status_code', value: { string_value: '503' } },
                { key: 'retries', value: { int_value: 2 } },
                { key: 'error', value: { bool_value: true } },
              ],
              status: { code: 2 },
            },
            { trace_id: bytes('0af7651916cd43dd8448eb211c80319c'), span_id: bytes('00f067aa0ba902b7'), name: 'ingress', kind: 2, start_time_unix_nano: '1800000000000000000', end_time_unix_nano: '1800000000300000000' },
          ],
        }],
      }],
    }));
    expect(spans).toEqual([
      {
        traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', parentSpanId: '00f067aa0ba902b7', name: 'egress', kind: 3,
        startMs: 1800000000123.456, endMs: 1800000000223.456, startNanos: '1800000000123456789', endNanos: '1800000000223456789',
        proxy: 'catalog-v1', status: 2,
        attributes: { node_id: 'catalog-v1', 'http.status_code': '503', retries: '2', error: 'true' },
      },
      {
        traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '00f067aa0ba902b7', parentSpanId: '', name: 'ingress', kind: 2,
        startMs: 1800000000000, endMs: 1800000000300, startNanos: '1800000000000000000', endNanos: '1800000000300000000',
        proxy: '', status: 0, attributes: {},
      },
    ]);
    expect(decodeSpans(encode({}))).toEqual([]);
  });
});
