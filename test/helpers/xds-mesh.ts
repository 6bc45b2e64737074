// A mesh under test fed over xDS: YAML in, a snapshot cache and the ADS server in the test
// process, real Envoys on ADS bootstraps out. `publish` compiles new YAML with the same
// addressing (same ports) and hands it to the cache, as the control plane does on a file save.
import type { MeshModel } from '../../src/config/model.ts';
import { GATEWAY_PROXY } from '../../src/config/names.ts';
import { compileMesh, type CompiledMesh } from '../../src/compile/index.ts';
import type { Addressing } from '../../src/compile/addressing.ts';
import { SnapshotCache } from '../../src/xds/cache.ts';
import { startXdsServer, type XdsServer } from '../../src/xds/server.ts';
import { adsBootstrap } from '../../src/xds/bootstrap.ts';
import type { XdsEvent } from '../../src/xds/types.ts';
import type { WorkloadSecrets } from '../../src/control/secrets.ts';
import { RESOURCE_KINDS } from '../../src/envoy/snapshot.ts';
import type { ProxyStatus } from '../../src/xds/types.ts';
import { startEnvoy, type EnvoyProcess } from './envoy.ts';
import { findUpstream, startUpstreams, testAddressing, testModel } from './mesh.ts';
import { freePorts } from './ports.ts';
import type { Upstream } from './upstream.ts';

export interface XdsMesh {
  model: MeshModel;
  addressing: Addressing;
  cache: SnapshotCache;
  /** The running server; `restartServer` replaces it. */
  server: XdsServer;
  /** Every event of every server started, in order. */
  events: XdsEvent[];
  envoys: Map<string, EnvoyProcess>;
  upstream(service: string, version: string): Upstream;
  upstreams: Upstream[];
  /** Compile YAML with this mesh's addressing (same services, same ports). */
  compile(yamlFiles: string[]): CompiledMesh;
  /** Compile and publish to the cache; returns the time it was published. */
  publish(yamlFiles: string[]): number;
  /** Stop the server; start another with a fresh cache (the same snapshots) on the same port. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface XdsMeshOptions {
  /** Fills the SDS secrets the snapshots name (mTLS), as the control plane's CA does. */
  secrets?: Pick<WorkloadSecrets, 'fill'>;
}

export async function startXdsMesh(yamlFiles: string[], sidecars: string[], options: XdsMeshOptions = {}): Promise<XdsMesh> {
  const model = testModel(yamlFiles);
  const upstreams = await startUpstreams(model);
  const envoys = new Map<string, EnvoyProcess>();
  const events: XdsEvent[] = [];
  let server: XdsServer | undefined;
  let cache = new SnapshotCache();
  let current: CompiledMesh;
  const stop = async () => {
    await server?.close();
    await Promise.all([...envoys.values()].map((e) => e.stop()));
    await Promise.all([...upstreams.values()].map((u) => u.close()));
  };
  try {
    const addressing = testAddressing(model, upstreams, new Set(sidecars), await freePorts(64));
    const compile = (files: string[]) => compileMesh(testModel(files), addressing);
    current = compile(yamlFiles);
    if (options.secrets) current = { snapshots: await options.secrets.fill(model, current.snapshots) };
    cache.setSnapshots(current.snapshots);
    let port = 0;
    const startServer = async () => {
      server = await startXdsServer({ cache, port });
      port = server.port;
      server.subscribe((e) => events.push(e));
    };
    await startServer();
    for (const proxy of [GATEWAY_PROXY, ...sidecars]) {
      const snapshot = current.snapshots.find((s) => s.proxy === proxy);
      if (!snapshot) throw new Error(`The compiler produced no snapshot for ${proxy}`);
      const bootstrap = adsBootstrap({
        proxy,
        service: snapshot.service,
        version: snapshot.version,
        xdsHost: '127.0.0.1',
        xdsPort: port,
        adminPort: 0,
        listenAddress: '127.0.0.1',
      });
      envoys.set(proxy, await startEnvoy(proxy, bootstrap));
    }
    return {
      model,
      addressing,
      get cache() {
        return cache;
      },
      get server() {
        return server!;
      },
      events,
      envoys,
      upstream: (service, version) => findUpstream(upstreams.values(), service, version),
      upstreams: [...upstreams.values()],
      compile,
      publish(files) {
        current = compile(files);
        const at = Date.now();
        cache.setSnapshots(current.snapshots);
        return at;
      },
      async stopServer() {
        await server?.close();
        server = undefined;
      },
      async startServer() {
        cache = new SnapshotCache();
        cache.setSnapshots(current.snapshots);
        await startServer();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Types a mesh without mTLS serves: every kind but SDS, which its proxies never ask for. */
export const PLAIN_TEXT_KINDS = RESOURCE_KINDS.filter((k) => k !== 'secrets');

/** Connected, every type of a plain-text mesh ACKed at its latest version, and SDS never asked for. */
export function syncedPlainText(p: ProxyStatus): boolean {
  return p.connected && PLAIN_TEXT_KINDS.every((k) => p.types[k].state === 'SYNCED') && p.types.secrets.state === 'NOT USED';
}

/** Poll `check` until it returns true; fail with `describe()` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, describe: () => string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The edge gateway's VirtualService for reviews.local, split over reviews' subsets by weight. */
export function reviewsRoute(weights: Record<string, number>): string {
  const destinations = Object.entries(weights).map(([v, w]) => `        - { destination: { host: reviews, subset: ${v} }, weight: ${w} }`);
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews.local]
  gateways: [edge]
  http:
    - route:
${destinations.join('\n')}
`;
}
