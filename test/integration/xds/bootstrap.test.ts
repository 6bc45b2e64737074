// The ADS bootstrap: valid for Envoy as the Compose stack and the loopback runtime use it, and a
// proxy started on it finds the control plane, reports its node metadata, serves Prometheus
// stats on the stats port and readiness on the health port once it has its config.
import { afterAll, describe, expect, it } from 'vitest';
import { CAPTURE_PORTS } from '../../../src/compile/addressing.ts';
import { adsBootstrap } from '../../../src/xds/bootstrap.ts';
import { SnapshotCache } from '../../../src/xds/cache.ts';
import { startXdsServer, type XdsServer } from '../../../src/xds/server.ts';
import { startEnvoy, validateConfig, type EnvoyProcess } from '../../helpers/envoy.ts';
import { freePorts } from '../../helpers/ports.ts';
import { waitFor } from '../../helpers/xds-mesh.ts';
import { snapshot } from '../../helpers/xds-snapshots.ts';

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of cleanup.reverse()) await stop();
});

describe('adsBootstrap', () => {
  it('passes envoy --mode validate for a Compose sidecar and a loopback gateway', async () => {
    await validateConfig(
      adsBootstrap({
        proxy: 'reviews-v1',
        service: 'reviews',
        version: 'v1',
        xdsHost: 'mesh-control',
        xdsPort: 15010,
        adminPort: CAPTURE_PORTS.admin,
        statsPort: CAPTURE_PORTS.stats,
        healthPort: CAPTURE_PORTS.health,
        listenAddress: '0.0.0.0',
      }),
    );
    await validateConfig(adsBootstrap({ proxy: 'mesh-gateway', xdsHost: '127.0.0.1', xdsPort: 15010, adminPort: 0, listenAddress: '127.0.0.1' }));
  });

  it('keeps admin on loopback, names the node, and leaves out listeners without a port', () => {
    const config = adsBootstrap({ proxy: 'mesh-gateway', xdsHost: 'mesh-control', xdsPort: 15010, adminPort: 0, listenAddress: '0.0.0.0' });
    expect(config.admin).toEqual({ address: { socket_address: { address: '127.0.0.1', port_value: 0 } } });
    expect(config.node).toEqual({ id: 'mesh-gateway', cluster: 'mesh-gateway', metadata: { proxy_kind: 'gateway' } });
    expect((config.static_resources as { listeners: unknown[] }).listeners).toEqual([]);
    expect(() => adsBootstrap({ proxy: 'x', xdsHost: 'h', xdsPort: 1, adminPort: 0, statsPort: 15090, listenAddress: '0.0.0.0' })).toThrow(/admin port/);
  });

  it('runs: the proxy syncs over ADS, reports its metadata, and serves stats and health', async () => {
    const cache = new SnapshotCache();
    const server: XdsServer = await startXdsServer({ cache, port: 0 });
    cleanup.push(() => server.close());
    const [adminPort, statsPort, healthPort] = await freePorts(3);
    const config = adsBootstrap({
      proxy: 'p1',
      service: 'svc',
      version: 'v1',
      xdsHost: '127.0.0.1',
      xdsPort: server.port,
      adminPort: adminPort!,
      statsPort,
      healthPort,
      listenAddress: '127.0.0.1',
    });
    const envoy: EnvoyProcess = await startEnvoy('p1', config, { adminOnly: true });
    cleanup.push(() => envoy.stop());
    await waitFor(() => server.status().some((p) => p.id === 'p1' && p.connected), () => JSON.stringify(server.status()));
    expect(server.status()[0]).toMatchObject({ id: 'p1', service: 'svc', version: 'v1' });
    // Without config the proxy is not live: the health port does not answer 200.
    const health = () => fetch(`http://127.0.0.1:${healthPort}/healthz/ready`).then((r) => r.status, () => 0);
    expect(await health()).not.toBe(200);

    cache.setSnapshot('p1', snapshot());
    await waitFor(async () => (await health()) === 200, () => `health: ${envoy.logTail(5)}`);
    const stats = await fetch(`http://127.0.0.1:${statsPort}/stats/prometheus`).then((r) => r.text());
    expect(stats).toMatch(/^envoy_cluster_manager_cds_update_success\{\} [1-9]/m);
    expect((await fetch(`http://127.0.0.1:${statsPort}/other`)).status).toBe(404);
  });
});
