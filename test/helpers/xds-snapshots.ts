// Small hand-built snapshots: a listener routing by RDS `routes` to EDS clusters, one
// ClusterLoadAssignment each. Valid Envoy JSON, so the cache can encode them.
import { runtimeResources } from '../../src/compile/runtime.ts';
import type { EnvoyJson, ProxySnapshot } from '../../src/envoy/snapshot.ts';

const ADS = { ads: {}, resource_api_version: 'V3' };

export function listener(name: string, routeConfig: string): EnvoyJson {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 10000 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: name,
              rds: { route_config_name: routeConfig, config_source: ADS },
              http_filters: [
                { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
              ],
            },
          },
        ],
      },
    ],
  };
}

export function routeConfig(name: string, weights: Record<string, number>): EnvoyJson {
  const clusters = Object.entries(weights).map(([cluster, weight]) => ({ name: cluster, weight }));
  return {
    name,
    virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { weighted_clusters: { clusters } } }] }],
  };
}

export function edsCluster(name: string): EnvoyJson {
  return { name, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: ADS } };
}

export function assignment(name: string, port: number): EnvoyJson {
  return {
    cluster_name: name,
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }],
  };
}

/** Proxy `p1`: listener `http` → RDS `routes` → clusters `a` and `b` (EDS), weighted as given. */
export function snapshot(weights: Record<string, number> = { a: 50, b: 50 }, proxy = 'p1'): ProxySnapshot {
  const names = Object.keys(weights).sort();
  return {
    proxy,
    kind: 'sidecar',
    service: 'svc',
    version: 'v1',
    listeners: [{ name: 'http', value: listener('http', 'routes') }],
    routes: [{ name: 'routes', value: routeConfig('routes', weights) }],
    clusters: names.map((n) => ({ name: n, value: edsCluster(n) })),
    endpoints: names.map((n, i) => ({ name: n, value: assignment(n, 20000 + i) })),
    secrets: [],
    // As the control plane serves it: an Envoy whose bootstrap has the RTDS layer waits for it.
    runtime: runtimeResources({ watched: false }),
  };
}
