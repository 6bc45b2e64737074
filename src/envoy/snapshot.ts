// Envoy's vocabulary shared by the compiler (which writes it) and the xDS server (which serves
// it): the resource types and their type URLs, and one proxy's resources in Envoy's own JSON form
// (proto3 JSON mapping, snake_case field names, `@type` on Any), the form `mesh generate` writes
// and Envoy reads. Resources that are the same for many proxies are the same object, so a large
// mesh is encoded once, not once per proxy. A leaf: imports nothing from src.

export const TYPE_URLS = {
  listeners: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routes: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  clusters: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoints: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  /** SDS: workload certificates and trust bundles, named by transport sockets (Istio: `default`, `ROOTCA`). */
  secrets: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  /** RTDS: the runtime layer `localmesh` (compile/runtime.ts: what telemetry each request costs). */
  runtime: 'type.googleapis.com/envoy.service.runtime.v3.Runtime',
} as const;

export type ResourceKind = keyof typeof TYPE_URLS;
export const RESOURCE_KINDS = Object.keys(TYPE_URLS) as ResourceKind[];

/** A JSON object in Envoy's config form. */
export type EnvoyJson = { [key: string]: unknown };

export interface Resource {
  name: string;
  value: EnvoyJson;
}

/** One proxy's resources, a list per resource kind (a new kind in TYPE_URLS is a new list here). */
export interface ProxySnapshot extends Record<ResourceKind, Resource[]> {
  /** Envoy node id: `SERVICE-VERSION` for a sidecar, `mesh-gateway` for the ingress gateway. */
  proxy: string;
  kind: 'sidecar' | 'gateway';
  service?: string;
  version?: string;
}
