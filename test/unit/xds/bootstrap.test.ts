// The bootstrap a proxy starts from, as the runtimes write it: the template filled with this
// proxy's values (typed), the stats and health listeners only where they have a port.
import { describe, expect, it } from 'vitest';
import { adsBootstrap } from '../../../src/xds/bootstrap.ts';

const SIDECAR = {
  proxy: 'reviews-v1',
  service: 'reviews',
  version: 'v1',
  xdsHost: 'mesh-control',
  xdsPort: 15010,
  adminPort: 15000,
  statsPort: 15090,
  healthPort: 15021,
  listenAddress: '0.0.0.0',
};

const statics = (config: Record<string, unknown>) => config.static_resources as { listeners: any[]; clusters: any[] };

describe('adsBootstrap', () => {
  it('a sidecar: its node and metadata, admin on loopback, xDS at the control plane, stats and health listeners', () => {
    const config = adsBootstrap(SIDECAR);
    expect(config.node).toEqual({ id: 'reviews-v1', cluster: 'reviews', metadata: { proxy_kind: 'sidecar', service: 'reviews', version: 'v1' } });
    expect(config.admin).toEqual({ address: { socket_address: { address: '127.0.0.1', port_value: 15000 } } });
    const { listeners, clusters } = statics(config);
    expect(listeners.map((l) => [l.name, l.address.socket_address])).toEqual([
      ['prometheus_stats', { address: '0.0.0.0', port_value: 15090 }],
      ['health', { address: '0.0.0.0', port_value: 15021 }],
    ]);
    expect(clusters.map((c) => c.name)).toEqual(['xds_cluster', 'envoy_admin']);
    const xds = clusters[0];
    expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'mesh-control', port_value: 15010 });
    // Values that are not placeholders stay as they are, numbers and booleans included.
    expect(xds.upstream_connection_options.tcp_keepalive).toEqual({ keepalive_probes: 3, keepalive_time: 10, keepalive_interval: 5 });
    expect((config.dynamic_resources as any).ads_config.set_node_on_first_message_only).toBe(true);
    expect(config.stats_flush_interval).toBe('1s');
  });

  it('only the listeners that have a port; with none, no admin cluster either', () => {
    const statsOnly = statics(adsBootstrap({ ...SIDECAR, healthPort: undefined }));
    expect(statsOnly.listeners.map((l) => l.name)).toEqual(['prometheus_stats']);
    expect(statsOnly.clusters.map((c) => c.name)).toEqual(['xds_cluster', 'envoy_admin']);
    const healthOnly = statics(adsBootstrap({ ...SIDECAR, statsPort: undefined }));
    expect(healthOnly.listeners.map((l) => l.name)).toEqual(['health']);
    const none = statics(adsBootstrap({ ...SIDECAR, statsPort: undefined, healthPort: undefined }));
    expect(none.listeners).toEqual([]);
    expect(none.clusters.map((c) => c.name)).toEqual(['xds_cluster']);
  });

  it('a proxy without a service is a gateway unless told; an explicit kind wins', () => {
    const gateway = adsBootstrap({ proxy: 'mesh-gateway', xdsHost: 'h', xdsPort: 1, adminPort: 0, listenAddress: '127.0.0.1', adminAddress: '0.0.0.0' });
    expect(gateway.node).toEqual({ id: 'mesh-gateway', cluster: 'mesh-gateway', metadata: { proxy_kind: 'gateway' } });
    expect(gateway.admin).toEqual({ address: { socket_address: { address: '0.0.0.0', port_value: 0 } } });
    expect((adsBootstrap({ ...SIDECAR, kind: 'gateway' }).node as any).metadata.proxy_kind).toBe('gateway');
  });

  it('refuses stats or health listeners with an admin port Envoy picks (they forward to it)', () => {
    const base = { proxy: 'x', xdsHost: 'h', xdsPort: 1, adminPort: 0, listenAddress: '0.0.0.0' };
    expect(() => adsBootstrap({ ...base, statsPort: 15090 })).toThrow('proxy x: the stats and health listeners forward to the admin port, which must then be fixed (not 0)');
    expect(() => adsBootstrap({ ...base, healthPort: 15021 })).toThrow(/admin port/);
    expect(() => adsBootstrap(base)).not.toThrow();
  });
});
