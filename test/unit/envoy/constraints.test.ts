// Envoy's own rules (protoc-gen-validate annotations in its protos) are checked with the types:
// a resource Envoy would refuse fails here, naming the field, the rule and the value.
import { describe, expect, it } from 'vitest';
import { checkResource, EnvoyConfigError } from '../../../src/envoy/proto.ts';

function errorOf(fn: () => unknown): EnvoyConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EnvoyConfigError) return e;
    throw e;
  }
  throw new Error('expected an EnvoyConfigError');
}

const cluster = (extra: Record<string, unknown>) => ({ name: 'c', type: 'STATIC', connect_timeout: '1s', ...extra });

const route = (action: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'r',
  virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, ...action }], ...extra }],
});

describe("Envoy's validation rules (protoc-gen-validate)", () => {
  it('a number above its bound: OutlierDetection.max_ejection_percent lte 100 (inside a wrapper)', () => {
    const e = errorOf(() => checkResource('clusters', cluster({ outlier_detection: { max_ejection_percent: 150 } })));
    expect(e.path).toBe('Cluster.outlier_detection.max_ejection_percent');
    expect(e.message).toMatch(/150.*at most 100/);
  });

  it('a port above 65535 in a socket address', () => {
    const e = errorOf(() => checkResource('listeners', {
      name: 'l', address: { socket_address: { address: '0.0.0.0', port_value: 70000 } }, filter_chains: [],
    }));
    expect(e.path).toBe('Listener.address.socket_address.port_value');
    expect(e.message).toMatch(/70000.*at most 65535/);
  });

  it('durations: a zero interval where Envoy wants one greater than 0', () => {
    const e = errorOf(() => checkResource('clusters', cluster({ outlier_detection: { interval: '0s' } })));
    expect(e.path).toBe('Cluster.outlier_detection.interval');
    expect(e.message).toMatch(/0s.*greater than 0s/);
    expect(() => checkResource('clusters', cluster({ outlier_detection: { interval: '0.001s' } }))).not.toThrow();
  });

  it('a scalar left out is checked as its zero value (Cluster.name min_len 1)', () => {
    const e = errorOf(() => checkResource('clusters', { type: 'STATIC' }));
    expect(e.path).toBe('Cluster.name');
    expect(e.message).toMatch(/at least 1 character/);
  });

  it('a required oneof: a route with no action at all', () => {
    const e = errorOf(() => checkResource('routes', route({ route: {} })));
    expect(e.path).toBe('RouteConfiguration.virtual_hosts[0].routes[0].route');
    expect(e.message).toMatch(/one of cluster, cluster_header, weighted_clusters/);
  });

  it('a required message: a weighted cluster without clusters fails min_items', () => {
    const e = errorOf(() => checkResource('routes', route({ route: { weighted_clusters: { clusters: [] } } })));
    expect(e.path).toBe('RouteConfiguration.virtual_hosts[0].routes[0].route.weighted_clusters.clusters');
    expect(e.message).toMatch(/at least 1 item/);
  });

  it('a direct response status outside 200–599', () => {
    const e = errorOf(() => checkResource('routes', route({ direct_response: { status: 99 } })));
    expect(e.path).toBe('RouteConfiguration.virtual_hosts[0].routes[0].direct_response.status');
    expect(e.message).toMatch(/99.*at least 200/);
  });

  it('header names: a well-known regex (HTTP_HEADER_NAME, not strict: no CR, LF, NUL) on every item of a list', () => {
    const e = errorOf(() => checkResource('routes', route({ route: { cluster: 'c' } }, { request_headers_to_remove: ['x-ok', 'bad\nname'] })));
    expect(e.path).toBe('RouteConfiguration.virtual_hosts[0].request_headers_to_remove[1]');
    expect(e.message).toMatch(/not a valid HTTP header name/);
  });

  it('a string pattern (RouteMatch.path_separated_prefix)', () => {
    const e = errorOf(() => checkResource('routes', { name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { path_separated_prefix: '/a/' }, route: { cluster: 'c' } }] }] }));
    expect(e.path).toBe('RouteConfiguration.virtual_hosts[0].routes[0].match.path_separated_prefix');
    expect(e.message).toMatch(/pattern/);
  });

  it('an upper bound on a 64-bit number (MaglevLbConfig.table_size lte 5000011)', () => {
    const e = errorOf(() => checkResource('clusters', cluster({ lb_policy: 'MAGLEV', maglev_lb_config: { table_size: 6000000 } })));
    expect(e.path).toBe('Cluster.maglev_lb_config.table_size');
  });

  it('rules inside an Any (the HTTP connection manager), and min_len on a string map key', () => {
    const listener = {
      name: 'l',
      address: { socket_address: { address: '0.0.0.0', port_value: 80 } },
      filter_chains: [{ filters: [{ name: 'hcm', typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
        stat_prefix: '', route_config: { name: 'r' }, http_filters: [],
      } }] }],
    };
    const e = errorOf(() => checkResource('listeners', listener));
    expect(e.path).toBe('Listener.filter_chains[0].filters[0].typed_config.stat_prefix');
    expect(e.typeName).toBe('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  });

  it('a valid resource passes', () => {
    expect(() => checkResource('clusters', cluster({ outlier_detection: { max_ejection_percent: 100, interval: '10s' } }))).not.toThrow();
    expect(() => checkResource('routes', route({ route: { cluster: 'c', timeout: '0s' } }))).not.toThrow();
  });
});
