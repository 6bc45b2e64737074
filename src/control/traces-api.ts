// The API's trace paths over the trace store (control/traces.ts):
//   GET /traces?service=S&min-duration=MS&limit=N   the traces kept, newest first (TraceSummary)
//   GET /traces/all?…the same query…                those traces' spans (TraceSpan[][]), for an export
//   GET /traces/ID                                  one trace's spans, by start
import type { TraceQuery, TraceSpan, TraceStore, TraceSummary } from './traces.ts';

type Refusal = (status: number, message: string) => Error;

function query(params: URLSearchParams, refuse: Refusal): TraceQuery {
  const number = (name: string, min: number): number | undefined => {
    const value = params.get(name);
    if (value === null) return undefined;
    const n = Number(value);
    if (value === '' || !Number.isFinite(n) || n < min) throw refuse(400, `${name}=${value} is not a number from ${min}.`);
    return n;
  };
  const service = params.get('service');
  const minDurationMs = number('min-duration', 0);
  const limit = number('limit', 1);
  return { ...(service ? { service } : {}), ...(minDurationMs !== undefined ? { minDurationMs } : {}), ...(limit !== undefined ? { limit } : {}) };
}

export function tracesRoute(store: TraceStore, path: string, params: URLSearchParams, refuse: Refusal): TraceSummary[] | TraceSpan[] | TraceSpan[][] {
  if (path === '/traces') return store.list(query(params, refuse));
  if (path === '/traces/all') return store.list({ limit: Infinity, ...query(params, refuse) }).map((t) => store.get(t.traceId)!);
  const id = decodeURIComponent(path.slice('/traces/'.length));
  const spans = store.get(id);
  if (!spans) throw refuse(404, `No trace ${id} is kept (the control plane keeps the last traces it was sent; mesh traces lists them).`);
  return spans;
}
