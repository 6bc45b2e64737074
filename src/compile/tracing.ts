// Tracing on every HTTP connection manager: Envoy's OpenTelemetry tracer sends each request's
// span over gRPC (OTLP) to the control plane (the `xds_cluster` of every bootstrap), which keeps
// them for `mesh traces` (control/traces.ts). Envoy makes the x-request-id at the first proxy and
// propagates W3C trace context (traceparent, tracestate); apps forward those headers (README).
// Sampling is Envoy's default, every request, unless the Mesh's `settings.tracing.sampling` says
// a percentage: then `withSampling` sets it on the listeners after they are built.
import type { EnvoyJson, ProxySnapshot, Resource } from '../envoy/snapshot.ts';
import { typed } from './envoy-json.ts';
import { CONTROL_CLUSTER } from './names.ts';

/** The HCM's `tracing`: one object shared by every listener, so `withSampling` finds it by identity. */
export const TRACING: EnvoyJson = Object.freeze({
  provider: {
    name: 'envoy.tracers.opentelemetry',
    typed_config: typed('config.trace.v3.OpenTelemetryConfig', {
      grpc_service: { envoy_grpc: { cluster_name: CONTROL_CLUSTER } },
      service_name: 'localmesh',
    }),
  },
});

/** The snapshots with `percent` of requests traced (100: the snapshots as they are); shared listeners stay shared. */
/** `resources`: the copies made before, by listener (a compile memo keeps them for the next compile with the same `percent`). */
export function withSampling(snapshots: ProxySnapshot[], percent: number | undefined, resources: WeakMap<Resource, Resource> = new WeakMap()): ProxySnapshot[] {
  if (percent === undefined || percent === 100) return snapshots;
  const sampled: EnvoyJson = { ...TRACING, random_sampling: { value: percent } };
  const lists = new Map<readonly Resource[], Resource[]>();
  const replace = (value: unknown): unknown => {
    if (value === TRACING) return sampled;
    if (Array.isArray(value)) return value.map(replace);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]));
  };
  const listeners = (list: readonly Resource[]): Resource[] => {
    let out = lists.get(list);
    if (!out) {
      out = list.map((r) => {
        let copy = resources.get(r);
        if (!copy) resources.set(r, (copy = { name: r.name, value: replace(r.value) as EnvoyJson }));
        return copy;
      });
      lists.set(list, out);
    }
    return out;
  };
  return snapshots.map((s) => ({ ...s, listeners: listeners(s.listeners) }));
}
