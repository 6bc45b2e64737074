// staticBootstrap: a snapshot in its xDS form (RDS references, EDS clusters) becomes a bootstrap
// Envoy runs as is, with the routes and endpoints inline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMesh } from '../../src/config/index.ts';
import { formatDiagnostic } from '../../src/config/diagnostics.ts';
import { compileMesh } from '../../src/compile/index.ts';
import { composeAddressing, loopbackAddressing } from '../../src/compile/addressing.ts';
import type { ProxySnapshot } from '../../src/envoy/snapshot.ts';
import { staticBootstrap } from '../../src/compile/static-config.ts';
import { startEnvoy, validateConfig, type EnvoyProcess } from '../helpers/envoy.ts';
import { freePorts } from '../helpers/ports.ts';
import { send } from '../helpers/traffic.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

const ADS = { ads: {}, resource_api_version: 'V3' };

function snapshot(listenPort: number, appPort: number): ProxySnapshot {
  const cluster = 'outbound|9080||reviews.default.svc.cluster.local';
  return {
    proxy: 'reviews-v1',
    kind: 'sidecar',
    service: 'reviews',
    version: 'v1',
    listeners: [
      {
        name: 'test',
        value: {
          name: 'test',
          address: { socket_address: { address: '127.0.0.1', port_value: listenPort } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'test',
                    rds: { route_config_name: 'test-routes', config_source: ADS },
                    http_filters: [
                      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
                    ],
                  },
                },
              ],
            },
          ],
        },
      },
    ],
    routes: [
      {
        name: 'test-routes',
        value: {
          name: 'test-routes',
          virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }],
        },
      },
    ],
    clusters: [
      { name: cluster, value: { name: cluster, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: ADS } } },
    ],
    endpoints: [
      {
        name: cluster,
        value: {
          cluster_name: cluster,
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: appPort } } } }] }],
        },
      },
    ],
    secrets: [],
    runtime: [],
  };
}

describe('staticBootstrap', () => {
  let app: Upstream;
  let envoy: EnvoyProcess;
  let port: number;
  beforeAll(async () => {
    app = await startUpstream('reviews', 'v1');
    [port] = (await freePorts(1)) as [number];
    envoy = await startEnvoy('static-config', staticBootstrap(snapshot(port, app.port), { adminPort: 0 }));
  });
  afterAll(async () => {
    await envoy?.stop();
    await app?.close();
  });

  it('inlines route configurations and turns EDS clusters into STATIC ones', () => {
    const config = staticBootstrap(snapshot(1, 2), { adminPort: 15000 });
    expect(config.node).toEqual({ id: 'reviews-v1', cluster: 'reviews' });
    expect(config.admin).toEqual({ address: { socket_address: { address: '127.0.0.1', port_value: 15000 } } });
    const text = JSON.stringify(config);
    expect(text).not.toContain('"rds"');
    expect(text).not.toContain('eds_cluster_config');
    expect(text).toContain('"route_config":{"name":"test-routes"');
    expect(text).toContain('"type":"STATIC"');
  });

  it('names the missing resource when a snapshot is inconsistent', () => {
    const broken = { ...snapshot(1, 2), routes: [], endpoints: [] };
    expect(() => staticBootstrap(broken, { adminPort: 0 })).toThrow(/route configuration "test-routes"/);
    expect(() => staticBootstrap({ ...broken, listeners: [] }, { adminPort: 0 })).toThrow(/EDS cluster "outbound\|9080\|\|reviews/);
  });

  it('is accepted by envoy --mode validate', async () => {
    await validateConfig(staticBootstrap(snapshot(1, 2), { adminPort: 15000 }));
  });

  it('runs: a request reaches the app through the inlined route and endpoints', async () => {
    const response = await send({ port, path: '/hello' });
    expect(response.status, response.body).toBe(200);
    expect(response.reply).toMatchObject({ service: 'reviews', version: 'v1', path: '/hello' });
    expect(await envoy.stat('cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_200')).toBe(1);
  });
});

describe.each(['examples/canary', 'examples/shop'])('every proxy of %s, compiled', (dir) => {
  it.each(['compose', 'loopback'])('is accepted by envoy --mode validate (%s addressing)', async (addressingKind) => {
    const { model, diagnostics } = await loadMesh(dir);
    if (!model) throw new Error(`${dir} does not validate:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
    const addressing = addressingKind === 'compose' ? composeAddressing() : loopbackAddressing(model, 20000);
    const { snapshots } = compileMesh(model, addressing);
    expect(snapshots.map((s) => s.proxy)).toContain('mesh-gateway');
    await Promise.all(snapshots.map((s) => validateConfig(staticBootstrap(s, { adminPort: 15000 }))));
  });
});
