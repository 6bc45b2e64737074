// A mesh under test: YAML in, real Envoys out. Loads and validates the YAML (any error fails the
// test with its diagnostics), starts an upstream app for every service version, compiles with an
// Addressing that points endpoints at those apps (or at a running sidecar's inbound listener),
// and runs the gateway and the chosen sidecars on static bootstraps.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { loadMeshFromSources } from '../../src/config/index.ts';
import { formatDiagnostic, hasErrors } from '../../src/config/diagnostics.ts';
import type { MeshModel } from '../../src/config/model.ts';
import { GATEWAY_PROXY, portKey } from '../../src/config/names.ts';
import { compileMesh, type CompiledMesh } from '../../src/compile/index.ts';
import type { Addressing } from '../../src/compile/addressing.ts';
import { staticBootstrap } from '../../src/compile/static-config.ts';
import { startEnvoy, type EnvoyProcess } from './envoy.ts';
import { freePorts } from './ports.ts';
import { startUpstream, type Upstream } from './upstream.ts';
import type { Request } from './traffic.ts';

export interface MeshOptions {
  /** Sidecars to run (`SERVICE-VERSION`); their service versions are then reached through them. */
  sidecars?: string[];
}

export interface RunningMesh {
  model: MeshModel;
  compiled: CompiledMesh;
  addressing: Addressing;
  /** The Envoy of a proxy: `mesh-gateway` or one of the sidecars. */
  envoys: Map<string, EnvoyProcess>;
  upstream(service: string, version: string): Upstream;
  upstreams: Upstream[];
  stop(): Promise<void>;
}

const PORT_POOL = 64;

/** The model of the YAML files; throws with the diagnostics when it does not validate. */
export function testModel(yamlFiles: string[]): MeshModel {
  const { model, diagnostics } = loadMeshFromSources(yamlFiles.map((text, i) => ({ path: `test-${i + 1}.yaml`, text })));
  if (!model || hasErrors(diagnostics)) {
    const files = yamlFiles.map((text, i) => `--- test-${i + 1}.yaml\n${text}`).join('\n');
    throw new Error(`The mesh YAML does not validate:\n${diagnostics.map(formatDiagnostic).join('\n')}\n${files}`);
  }
  return model;
}

/** An upstream app per service version, by proxy id. */
export async function startUpstreams(model: MeshModel): Promise<Map<string, Upstream>> {
  const upstreams = new Map<string, Upstream>();
  for (const service of model.services) {
    for (const version of service.versions) upstreams.set(version.proxy, await startUpstream(service.name, version.name));
  }
  return upstreams;
}

/** The upstream of a service version. */
export function findUpstream(upstreams: Iterable<Upstream>, service: string, version: string): Upstream {
  const found = [...upstreams].find((u) => u.service === service && u.version === version);
  if (!found) throw new Error(`No upstream for ${service} ${version}`);
  return found;
}

export async function startMesh(yamlFiles: string[], options: MeshOptions = {}): Promise<RunningMesh> {
  const model = testModel(yamlFiles);
  const sidecars = new Set(options.sidecars ?? []);
  let upstreams = new Map<string, Upstream>(); // by proxy id
  const envoys = new Map<string, EnvoyProcess>();
  const stop = async () => {
    await Promise.all([...envoys.values()].map((e) => e.stop()));
    await Promise.all([...upstreams.values()].map((u) => u.close()));
  };
  try {
    upstreams = await startUpstreams(model);
    for (const proxy of sidecars) {
      if (!upstreams.has(proxy)) throw new Error(`No service version has the proxy id ${proxy}; known: ${[...upstreams.keys()].join(', ')}`);
    }
    const addressing = testAddressing(model, upstreams, sidecars, await freePorts(PORT_POOL));
    const compiled = compileMesh(model, addressing);
    const wanted = [...(model.gateways.length > 0 ? [GATEWAY_PROXY] : []), ...sidecars];
    for (const proxy of wanted) {
      const snapshot = compiled.snapshots.find((s) => s.proxy === proxy);
      if (!snapshot) throw new Error(`The compiler produced no snapshot for ${proxy}`);
      envoys.set(proxy, await startEnvoy(proxy, staticBootstrap(snapshot, { adminPort: 0 })));
    }
    const upstream = (service: string, version: string) => findUpstream(upstreams.values(), service, version);
    return { model, compiled, addressing, envoys, upstream, upstreams: [...upstreams.values()], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Loopback addressing for tests: listener ports from a pool of free ports (one per key, handed
 * out on first use), apps at their upstream servers, and a service version's endpoint at its
 * sidecar's inbound listener when that sidecar runs, else straight at its app.
 */
export function testAddressing(
  model: MeshModel,
  apps: Map<string, Upstream>,
  sidecars: Set<string>,
  pool: number[],
): Addressing {
  const ports = new Map<string, number>();
  const take = (key: string): number => {
    let port = ports.get(key);
    if (port === undefined) {
      port = pool.shift();
      if (port === undefined) throw new Error(`test addressing ran out of its ${PORT_POOL} free ports at ${key}`);
      ports.set(key, port);
    }
    return port;
  };
  const app = (proxy: string) => {
    const upstream = apps.get(proxy);
    if (!upstream) throw new Error(`test addressing: no app for proxy ${proxy}`);
    return upstream;
  };
  const proxyOf = (service: string, version: string): string => {
    const s = model.services.find((x) => x.name === service || x.fqdn === service);
    const v = s?.versions.find((x) => x.name === version);
    if (!v) throw new Error(`test addressing: endpoints asked for unknown ${service} ${version}`);
    return v.proxy;
  };
  const inboundPort = (proxy: string, port: number) => take(`inbound ${proxy} ${port}`);
  return {
    capture: false,
    listenAddress: '127.0.0.1',
    outboundPort: (proxy) => take(`outbound ${proxy}`),
    inboundPort,
    appAddress: (proxy) => ({ address: '127.0.0.1', port: app(proxy).port }),
    endpoints: (service, version, port) => {
      const proxy = proxyOf(service, version);
      return [{ address: '127.0.0.1', port: sidecars.has(proxy) ? inboundPort(proxy, port) : app(proxy).port }];
    },
    gatewayPort: (port, proxy) => take(portKey.gateway(port, proxy)),
    gatewayEndpoint: (proxy, port) => ({ address: '127.0.0.1', port: take(portKey.gateway(port, proxy)) }),
    tcpOutboundPort: (proxy, service, port) => take(`tcp ${proxy} ${service} ${port}`),
  };
}

export interface MeshFixture {
  /** Adds a YAML file to the mesh; call while tests are being collected (in a describe body). */
  add(yaml: string): void;
  /** The running mesh (inside tests). */
  readonly running: RunningMesh;
  envoy(proxy?: string): EnvoyProcess;
  /** A request to the gateway's listener for Gateway port `serverPort`, with the Host header set. */
  at(host: string, path?: string, init?: Omit<Request, 'port' | 'path'>, serverPort?: number): Request;
}

/**
 * One mesh for a test file: the YAML given here plus whatever the describe blocks `add`, started
 * once in beforeAll and stopped in afterAll; every upstream's behaviour is reset before each test.
 */
export function useMesh(yamlFiles: string[], options: MeshOptions = {}): MeshFixture {
  const files = [...yamlFiles];
  let mesh: RunningMesh | undefined;
  beforeAll(async () => {
    mesh = await startMesh(files, options);
  });
  afterAll(async () => {
    await mesh?.stop();
  });
  beforeEach(() => {
    for (const u of mesh?.upstreams ?? []) u.behave();
  });
  const running = (): RunningMesh => {
    if (!mesh) throw new Error('the mesh is not running (did beforeAll fail?)');
    return mesh;
  };
  return {
    add: (yaml) => void files.push(yaml),
    get running() {
      return running();
    },
    envoy(proxy = GATEWAY_PROXY) {
      const envoy = running().envoys.get(proxy);
      if (!envoy) throw new Error(`no Envoy runs for ${proxy}`);
      return envoy;
    },
    at(host, path = '/', init = {}, serverPort = 80) {
      const port = running().addressing.gatewayPort(serverPort);
      return { ...init, port, path, headers: { host, ...init.headers } };
    },
  };
}

/** A Mesh document declaring services and versions: `{ reviews: 'v1 v2', db: { versions: 'v1', port: 5432, protocol: 'tcp' } }`. */
export function meshYaml(
  services: Record<string, string | { versions: string; port?: number; protocol?: string }>,
): string {
  const lines = ['apiVersion: localmesh.dev/v1alpha1', 'kind: Mesh', 'metadata:', '  name: test', 'spec:', '  services:'];
  for (const [name, value] of Object.entries(services)) {
    const { versions, port = 9080, protocol = 'http' } = typeof value === 'string' ? { versions: value } : value;
    lines.push(`    ${name}:`, `      ports: [{ port: ${port}, protocol: ${protocol} }]`, '      versions:');
    // The command is never run: the test's upstream servers stand in for the apps.
    for (const v of versions.split(/\s+/)) lines.push(`        ${v}: { command: [node, app.mjs] }`);
  }
  return lines.join('\n') + '\n';
}

/** The ingress Gateway `edge`: HTTP on port 80 for every host. */
export const EDGE_GATEWAY = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  selector: { istio: ingressgateway }
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["*"]
`;

/**
 * A VirtualService for `host` on the edge gateway with one HTTP route to `service`; `extra` is
 * YAML for the rest of that route (`timeout: 1s`, a fault, ...).
 */
export function gatewayRoute(service: string, host: string, extra = ''): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${host.replace(/\W/g, '-')}
spec:
  hosts: [${host}]
  gateways: [edge]
  http:
    - route: [{ destination: { host: ${service} } }]
${extra.replace(/^/gm, '      ')}
`;
}

/** A DestinationRule giving `service` one subset per version, named like the version. */
export function subsetsRule(service: string, versions: string): string {
  const subsets = versions.split(/\s+/).map((v) => `    - { name: ${v}, labels: { version: ${v} } }`);
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${service}
spec:
  host: ${service}
  subsets:
${subsets.join('\n')}
`;
}
