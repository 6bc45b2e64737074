// How `mesh traces` shows traces: a line per trace, a trace as a waterfall (spans indented under
// their parent, a bar for when each ran), and traces as OTLP JSON (the ExportTraceServiceRequest
// JSON mapping, which Jaeger and Tempo load). Pure.
import { described, failed, rootOf, type TraceSpan, type TraceSummary } from './traces.ts';

const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n)}ms`;

/** One line per trace: id, start time, duration, spans, errors, services, root. */
export function traceLine(t: TraceSummary): string {
  const time = new Date(t.startMs).toISOString().slice(11, 23);
  const errors = t.errors ? ` ${t.errors} error${t.errors > 1 ? 's' : ''}` : '';
  return `${t.traceId} ${time} ${ms(t.durationMs).padStart(8)} ${String(t.spans).padStart(3)} spans${errors}  ${t.services.join(' → ')}  ${t.root}`;
}

/** The spans in tree order (each after its parent, siblings by start), with their depth. */
export function treeOrder(spans: readonly TraceSpan[]): Array<{ span: TraceSpan; depth: number }> {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const s of [...spans].sort((a, b) => a.startMs - b.startMs)) {
    if (s.parentSpanId && ids.has(s.parentSpanId) && s.parentSpanId !== s.spanId) {
      children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
    } else roots.push(s);
  }
  const out: Array<{ span: TraceSpan; depth: number }> = [];
  const seen = new Set<string>();
  const walk = (s: TraceSpan, depth: number) => {
    if (seen.has(s.spanId)) return;
    seen.add(s.spanId);
    out.push({ span: s, depth });
    for (const c of children.get(s.spanId) ?? []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

/** A trace as a waterfall `width` columns wide: a label, a bar placed at its time, the duration. */
export function waterfall(spans: readonly TraceSpan[], width = 100): string[] {
  if (spans.length === 0) return [];
  const start = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(...spans.map((s) => s.endMs)) - start || 1;
  const rows = treeOrder(spans).map(({ span, depth }) => {
    const status = span.attributes['http.status_code'] ?? '';
    const label = `${'  '.repeat(depth)}${span.service} ${described(span).replace(/ https?:\/\//, ' ')}${status ? ` ${status}` : ''}${failed(span) ? ' !' : ''}`;
    return { span, label };
  });
  const labelWidth = Math.min(Math.max(...rows.map((r) => r.label.length)), Math.floor(width * 0.5));
  const barWidth = Math.max(10, width - labelWidth - 11);
  const root = rootOf(spans);
  const header = `trace ${spans[0]!.traceId}  ${ms(total)}  ${spans.length} spans${root ? `  ${described(root)}` : ''}`;
  return [
    header,
    ...rows.map(({ span, label }) => {
      const from = Math.min(barWidth - 1, Math.floor(((span.startMs - start) / total) * barWidth));
      const length = Math.max(1, Math.round(((span.endMs - span.startMs) / total) * barWidth));
      const bar = ' '.repeat(from) + '█'.repeat(Math.min(length, barWidth - from));
      const text = label.length > labelWidth ? label.slice(0, labelWidth - 1) + '…' : label.padEnd(labelWidth);
      return `${text} ${bar.padEnd(barWidth)} ${ms(span.endMs - span.startMs).padStart(8)}`;
    }),
  ];
}

const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** Traces as one ExportTraceServiceRequest in OTLP's JSON mapping: a resource per proxy (service.name: its service). */
export function otlpJson(traces: readonly (readonly TraceSpan[])[]): unknown {
  const byProxy = new Map<string, TraceSpan[]>();
  for (const span of traces.flat()) byProxy.set(span.proxy, [...(byProxy.get(span.proxy) ?? []), span]);
  return {
    resourceSpans: [...byProxy].map(([proxy, spans]) => ({
      resource: { attributes: [attribute('service.name', spans[0]!.service), attribute('localmesh.proxy', proxy)] },
      scopeSpans: [
        {
          scope: { name: 'envoy' },
          spans: spans.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
            name: s.name,
            kind: s.kind,
            startTimeUnixNano: s.startNanos,
            endTimeUnixNano: s.endNanos,
            attributes: Object.entries(s.attributes).map(([k, v]) => attribute(k, v)),
            status: { code: s.status },
          })),
        },
      ],
    })),
  };
}
