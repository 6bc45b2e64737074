// `mesh generate`'s per-proxy bootstrap: the snapshot with everything inline, no xDS needed.
import { describe, expect, it } from 'vitest';
import { staticBootstrap } from '../../../src/compile/static-config.ts';
import { compile, proxy, REVIEWS_SUBSETS } from './compile-helpers.ts';

describe('staticBootstrap', () => {
  const snapshot = proxy(compile([REVIEWS_SUBSETS], 'loopback'), 'productpage-v1');

  it('inlines each RDS reference as the route configuration it names, and EDS clusters as STATIC with their endpoints', () => {
    const config = staticBootstrap(snapshot, { adminPort: 0 }) as any;
    expect(config.node).toEqual({ id: 'productpage-v1', cluster: 'productpage' });
    expect(config.admin).toEqual({ address: { socket_address: { address: '127.0.0.1', port_value: 0 } } });
    expect(config.bootstrap_extensions).toEqual([
      {
        name: 'envoy.bootstrap.internal_listener',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener' },
      },
    ]);
    const text = JSON.stringify(config);
    expect(text).not.toContain('"rds"');
    expect(text).not.toContain('eds_cluster_config');
    const outbound = snapshot.routes.find((r) => r.name === 'outbound')!.value;
    expect(text).toContain(JSON.stringify(outbound));
    const { listeners, clusters } = config.static_resources;
    expect(listeners.map((l: any) => l.name)).toEqual(snapshot.listeners.map((l) => l.name));
    const eds = snapshot.clusters.find((c) => c.value.type === 'EDS')!;
    const inlined = clusters.find((c: any) => c.name === eds.name);
    expect(inlined.type).toBe('STATIC');
    expect(inlined.load_assignment).toEqual(snapshot.endpoints.find((e) => e.name === eds.name)!.value);
    const other = snapshot.clusters.find((c) => c.value.type !== 'EDS')!;
    expect(clusters.find((c: any) => c.name === other.name)).toBe(other.value);
  });

  it('a gateway (no service) is its own cluster; the admin address can be given', () => {
    const gateway = { ...snapshot, service: undefined, proxy: 'mesh-gateway' };
    expect(staticBootstrap(gateway, { adminPort: 15000, adminAddress: '0.0.0.0' })).toMatchObject({
      node: { id: 'mesh-gateway', cluster: 'mesh-gateway' },
      admin: { address: { socket_address: { address: '0.0.0.0', port_value: 15000 } } },
    });
  });

  it('says which reference is missing in a snapshot that is not consistent', () => {
    expect(() => staticBootstrap({ ...snapshot, routes: [] }, { adminPort: 0 })).toThrow(
      /^proxy productpage-v1: a listener refers to route configuration "\S+", which is not in the snapshot$/,
    );
    expect(() => staticBootstrap({ ...snapshot, endpoints: [] }, { adminPort: 0 })).toThrow(
      /^proxy productpage-v1: EDS cluster "\S+" has no ClusterLoadAssignment in the snapshot$/,
    );
  });
});
