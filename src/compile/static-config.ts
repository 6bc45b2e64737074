// One proxy's snapshot as a complete Envoy bootstrap with everything inline: route configurations
// in place of RDS references, EDS clusters as STATIC clusters carrying their load assignment, and
// the SDS secrets a snapshot carries (mTLS) as static secrets its transport sockets name, and no
// access log (it streams to a control plane).
// This is what `mesh generate` writes per proxy and what the integration tests run, no xDS needed.
import type { EnvoyJson, ProxySnapshot, Resource } from '../envoy/snapshot.ts';

export interface StaticBootstrapOptions {
  /** 0 lets Envoy pick a port (read it back with `--admin-address-path`). */
  adminPort: number;
  adminAddress?: string;
}

export function staticBootstrap(snapshot: ProxySnapshot, options: StaticBootstrapOptions): EnvoyJson {
  const routes = byName(snapshot.routes);
  const endpoints = byName(snapshot.endpoints);
  const secrets = snapshot.secrets.length > 0;
  const inline = (value: EnvoyJson) => (secrets ? (staticSecrets(value) as EnvoyJson) : value);
  return {
    node: { id: snapshot.proxy, cluster: snapshot.service ?? snapshot.proxy },
    admin: {
      address: { socket_address: { address: options.adminAddress ?? '127.0.0.1', port_value: options.adminPort } },
    },
    // Listeners may hand connections to internal listeners (the CONNECT tunnel of the outbound
    // listener); the extension must be in the bootstrap, as it is in the xDS bootstrap.
    bootstrap_extensions: [
      {
        name: 'envoy.bootstrap.internal_listener',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener' },
      },
    ],
    static_resources: {
      listeners: snapshot.listeners.map((l) => inline(inlineRoutes(l.value, routes, snapshot.proxy) as EnvoyJson)),
      clusters: snapshot.clusters.map((c) => inline(staticCluster(c.value, endpoints, snapshot.proxy))),
      ...(secrets ? { secrets: snapshot.secrets.map((s) => s.value) } : {}),
    },
  };
}

function byName(resources: readonly Resource[]): Map<string, EnvoyJson> {
  return new Map(resources.map((r) => [r.name, r.value]));
}

/** A copy of `value` where every `rds` reference becomes the `route_config` it names. */
function inlineRoutes(value: unknown, routes: Map<string, EnvoyJson>, proxy: string): unknown {
  if (Array.isArray(value)) return value.map((v) => inlineRoutes(v, routes, proxy));
  if (value === null || typeof value !== 'object') return value;
  const out: EnvoyJson = {};
  for (const [key, child] of Object.entries(value)) {
    // The access log (ALS) and the spans (OTLP) stream to the control plane, which a static config has none of.
    if (key === 'access_log' || key === 'tracing') continue;
    if (key === 'rds') {
      const name = (child as { route_config_name?: string }).route_config_name ?? '';
      const routeConfig = routes.get(name);
      if (!routeConfig) throw new Error(`proxy ${proxy}: a listener refers to route configuration "${name}", which is not in the snapshot`);
      out.route_config = routeConfig;
    } else {
      out[key] = inlineRoutes(child, routes, proxy);
    }
  }
  return out;
}

/** A copy of `value` where every SDS reference names a static secret (its `sds_config` left out). */
function staticSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(staticSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'sds_config').map(([key, child]) => [key, staticSecrets(child)]));
}

function staticCluster(cluster: EnvoyJson, endpoints: Map<string, EnvoyJson>, proxy: string): EnvoyJson {
  if (cluster.type !== 'EDS') return cluster;
  const name = String(cluster.name);
  const assignment = endpoints.get(name);
  if (!assignment) throw new Error(`proxy ${proxy}: EDS cluster "${name}" has no ClusterLoadAssignment in the snapshot`);
  const { eds_cluster_config: _eds, ...rest } = cluster;
  return { ...rest, type: 'STATIC', load_assignment: assignment };
}
