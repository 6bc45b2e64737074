// What `mesh traces` shows: the spans every proxy exports over OTLP (xds/trace-service.ts),
// grouped by trace, in a bounded store: at most `maxTraces` traces and `maxStoredSpans` spans in
// all, the least recently added to pushed out first (LRU by count), and at most `maxSpans` spans
// in one trace. Pure.
import type { Span } from '../xds/trace-service.ts';

/** A span with the service of the proxy that reported it (`mesh-gateway` for a gateway). */
export interface TraceSpan extends Span {
  service: string;
}

/** One line of GET /traces. */
export interface TraceSummary {
  traceId: string;
  /** What the root span served: `GET http://host/path` (Envoy names every span ingress or egress). */
  root: string;
  /** The services whose proxies reported spans, in the order they first appear. */
  services: string[];
  startMs: number;
  durationMs: number;
  spans: number;
  /** Spans that failed: OTLP status error, Envoy's `error` tag or a 5xx. */
  errors: number;
}

export interface TraceQuery {
  service?: string;
  minDurationMs?: number;
  /** The newest N (default 50). */
  limit?: number;
}

export interface TraceStore {
  add(spans: readonly Span[]): void;
  /** The traces kept, newest first. */
  list(query?: TraceQuery): TraceSummary[];
  /** A trace's spans by start time, or undefined when it is not kept. */
  get(traceId: string): TraceSpan[] | undefined;
  /** Every trace kept, oldest first (for an export). */
  all(): TraceSpan[][];
  /** Traces pushed out, and spans refused because their trace was full. */
  dropped(): { traces: number; spans: number };
}

export interface TraceStoreOptions {
  maxTraces?: number;
  maxSpans?: number;
  /** Spans in all traces together (about 1 kB each). */
  maxStoredSpans?: number;
  /** The service of a proxy id (the control plane asks its snapshots); the id itself by default. */
  serviceOf?(proxy: string): string;
}

export function failed(span: Span): boolean {
  return span.status === 2 || span.attributes['error'] === 'true' || Number(span.attributes['http.status_code']) >= 500;
}

/** The trace's root: the earliest span whose parent is not in it. */
export function rootOf(spans: readonly TraceSpan[]): TraceSpan | undefined {
  const ids = new Set(spans.map((s) => s.spanId));
  return spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).sort((a, b) => a.startMs - b.startMs)[0];
}

/** A span as the request it served: its method and URL, else its name. */
export function described(span: Span | undefined): string {
  if (!span) return '';
  const { 'http.method': method, 'http.url': url } = span.attributes;
  return method && url ? `${method} ${url}` : span.name;
}

export function summarize(traceId: string, spans: readonly TraceSpan[]): TraceSummary {
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.endMs));
  const sorted = [...spans].sort((a, b) => a.startMs - b.startMs);
  return {
    traceId,
    root: described(rootOf(spans)),
    services: [...new Set(sorted.map((s) => s.service))],
    startMs: start,
    durationMs: Math.round((end - start) * 1000) / 1000,
    spans: spans.length,
    errors: spans.filter(failed).length,
  };
}

export function traceStore(options: TraceStoreOptions = {}): TraceStore {
  const { maxTraces = 1000, maxSpans = 500, maxStoredSpans = 20_000, serviceOf = (proxy: string) => proxy } = options;
  // Insertion order is recency: a trace given a span moves to the end.
  const traces = new Map<string, TraceSpan[]>();
  let droppedTraces = 0;
  let droppedSpans = 0;
  let stored = 0;
  const byStart = (spans: TraceSpan[]) => [...spans].sort((a, b) => a.startMs - b.startMs);
  return {
    add(spans) {
      for (const span of spans) {
        const trace = traces.get(span.traceId) ?? [];
        traces.delete(span.traceId);
        traces.set(span.traceId, trace);
        if (trace.length >= maxSpans) droppedSpans++;
        else {
          trace.push({ ...span, service: serviceOf(span.proxy) });
          stored++;
        }
      }
      for (const [oldest, spans] of traces) {
        if (traces.size <= maxTraces && stored <= maxStoredSpans) break;
        traces.delete(oldest);
        stored -= spans.length;
        droppedTraces++;
      }
    },
    list(query = {}) {
      const { service, minDurationMs = 0, limit = 50 } = query;
      return [...traces]
        .map(([id, spans]) => summarize(id, spans))
        .filter((t) => (service === undefined || t.services.includes(service)) && t.durationMs >= minDurationMs)
        .sort((a, b) => b.startMs - a.startMs)
        .slice(0, limit);
    },
    get(traceId) {
      const spans = traces.get(traceId.toLowerCase());
      return spans ? byStart(spans) : undefined;
    },
    all: () => [...traces.values()].map(byStart),
    dropped: () => ({ traces: droppedTraces, spans: droppedSpans }),
  };
}
