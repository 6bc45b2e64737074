// The proxies' runtime layer, served over RTDS (ADS, the layer `localmesh` of every bootstrap):
// what each request costs in telemetry. Building a request's span (tracing) and its access log
// entry (ALS, for `mesh tap` and the graph) is work on Envoy's worker thread, measured by
// bench/datapath at about 0.2–0.5 ms per hop each at 1000 requests/s on 2 cores. So the proxies
// do it while someone looks and not otherwise, as Istio (1% sampling, no access log) by default:
// - idle: no access log entries (`localmesh.tap` 0), 1% of requests traced;
// - watched (a tap, the dashboard, the web view, `mesh graph` or `mesh traces` asked lately):
//   every request logged and traced.
// The Mesh's `settings.tracing.sampling`, when given, is the tracing percentage in both states.
// A runtime change reaches Envoy without touching a listener: no connection is drained.
import type { Resource } from '../envoy/snapshot.ts';

/** The RTDS layer's name, as the bootstrap (templates/envoy-bootstrap.json) subscribes to it. */
export const RUNTIME_LAYER = 'localmesh';
/** The access logs' runtime filter key: the percentage of requests logged. */
export const TAP_RUNTIME_KEY = 'localmesh.tap';
/** Envoy's own key of the HTTP connection manager's random sampling. */
const SAMPLING_RUNTIME_KEY = 'tracing.random_sampling';
/** Istio's default tracing sampling, percent, while nobody looks. */
export const IDLE_SAMPLING_PERCENT = 1;

export interface TelemetryState {
  /** Someone looks at requests or traces now. */
  watched: boolean;
  /** The Mesh's `settings.tracing.sampling`, percent. */
  sampling?: number;
}

const lists = new Map<string, Resource[]>();

/** The runtime resources of every proxy in this state: one list, the same object for every proxy. */
export function runtimeResources({ watched, sampling }: TelemetryState): Resource[] {
  // Tracing's share as a fractional percent, which every Envoy version reads alike (a plain
  // integer is a share of the default's denominator, which changed between versions: 10000, 100).
  // The access log's runtime filter reads an integer only: the percentage, as a string (a Struct
  // number is a double, which Envoy takes for no value).
  const layer = {
    [TAP_RUNTIME_KEY]: watched ? '100' : '0',
    [SAMPLING_RUNTIME_KEY]: { numerator: Math.round((sampling ?? (watched ? 100 : IDLE_SAMPLING_PERCENT)) * 100), denominator: 'TEN_THOUSAND' },
  };
  const key = JSON.stringify(layer);
  let list = lists.get(key);
  if (!list) lists.set(key, (list = [{ name: RUNTIME_LAYER, value: { name: RUNTIME_LAYER, layer } }]));
  return list;
}

/** The snapshots with the runtime of `state` (the same snapshots when they have it already). */
export function withRuntime<S extends { runtime: Resource[] }>(snapshots: S[], state: TelemetryState): S[] {
  const runtime = runtimeResources(state);
  return snapshots.map((s) => (s.runtime === runtime ? s : { ...s, runtime }));
}
