// What `mesh up --runtime process` runs for a mesh, as values: the control plane, one Envoy per
// service version and the gateway (each with its ADS bootstrap), one app per service version.
// Pure: the model, the ports and the paths in; process specs, bootstraps and URLs out.
import { delimiter } from 'node:path';
import type { MeshModel, ServiceModel, VersionModel } from '../../config/model.ts';
import { gatewayProxies } from '../../config/gateway-proxies.ts';
import { localCertificateNotes } from '../../control/credentials.ts';
import { CONTROL_NAME, portKey, sidecarName } from '../../config/names.ts';
import type { EnvoyJson } from '../../envoy/snapshot.ts';
import type { AdsBootstrapOptions } from '../../xds/bootstrap.ts';
import { gatewayHostPorts, gatewayUrl } from '../../config/model.ts';
import type { PortPlan } from './port-map.ts';
import type { StatePaths } from './state.ts';
import type { ProcessSpec } from './supervise.ts';
import { controlCommand, controlEnv } from '../../control/node-options.ts';
import { ENVOY_DRAIN_ARGS } from '../../envoy/drain.ts';

export interface PlanInput {
  model: MeshModel;
  /** The mesh directory, absolute: the control plane watches it, apps run in it. */
  dir: string;
  ports: PortPlan;
  paths: StatePaths;
  envoy: string;
  /** How to run `mesh`: the Node binary and bin/mesh.js. */
  mesh: string[];
  /** The environment every process starts from. */
  env: Record<string, string | undefined>;
  /** The control plane polls the files (mesh up --poll). */
  poll?: boolean;
  /** The project's Node (≥ 24, which honours NODE_USE_ENV_PROXY): its directory goes first on the apps' PATH. */
  appNode?: { dir: string; major: number };
  bootstrap(options: AdsBootstrapOptions): EnvoyJson;
}

export interface AppSpec extends ProcessSpec {
  /** Where the app is checked: an HTTP URL (healthcheck.path), else a TCP port. */
  health: { url: string } | { port: number };
  /** The port map's key of the port the app is given in PORT (its first service port): a restart moves it. */
  portKey: string;
  /** How the Mesh says to start it (command, env, folder), to tell a changed version from one as it was. */
  declared?: string;
}

export interface ProcessPlan {
  control: ProcessSpec;
  proxies: ProcessSpec[];
  apps: AppSpec[];
  /** Proxy id → its Envoy bootstrap. */
  bootstraps: Map<string, EnvoyJson>;
  /** The ids the control plane must report SYNCED. */
  proxyIds: string[];
  gateways: string[];
  /** One line each for the user (e.g. replicas run as one process). */
  notes: string[];
}

const LOOPBACK = '127.0.0.1';

const clean = (env: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));

/** A command that names a path (`./server`, `/usr/bin/node app.mjs`) runs that program, whatever PATH says. */
function namesPath(command: string[] | string): boolean {
  const program = typeof command === 'string' ? command.trim().split(/\s+/)[0] ?? '' : command[0] ?? '';
  return program.includes('/');
}

/** PATH with `dir` first (once). */
const pathWith = (dir: string, path: string | undefined): string =>
  [dir, ...(path ?? '').split(delimiter).filter((d) => d && d !== dir)].join(delimiter);

/** Which of the apps' runtimes send their calls to the sidecar by themselves, and what the others need. */
function proxyNote(appNode: PlanInput['appNode']): string {
  const node = appNode
    ? `Apps run with Node ${appNode.major} (${appNode.dir}) first on PATH, unless their command names a path.`
    : "Apps run with the `node` on PATH: it must be Node 24 or later to send its calls through the sidecar.";
  return (
    `${node} Node ≥ 24 (NODE_USE_ENV_PROXY=1), Python, Go and curl send their calls through the sidecar by HTTP_PROXY; ` +
    'other runtimes need their own setting, e.g. a JVM the proxy properties in JAVA_TOOL_OPTIONS ' +
    '(-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=the port of its HTTP_PROXY).'
  );
}

/** Versions without a command cannot run as processes: one sentence naming them all, or undefined. */
export function missingCommands(model: MeshModel): string | undefined {
  const missing = model.services.flatMap((s) => s.versions.filter((v) => !v.spec.command).map((v) => `${s.name} ${v.name}`));
  if (missing.length === 0) return undefined;
  return (
    `the process runtime runs each version's command, and ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} none; ` +
    'add `command:` (run from the mesh directory), or use the Docker runtime for images'
  );
}

export function planProcesses(input: PlanInput): ProcessPlan {
  const { model, dir, paths } = input;
  const port = (key: string): number => {
    const value = input.ports.portMap.ports[key];
    if (value === undefined) throw new Error(`no port was planned for ${key}`);
    return value;
  };
  const base = clean(input.env);
  const { xdsPort, apiPort } = input.ports.control;
  const notes: string[] = [];

  const control: ProcessSpec = {
    name: CONTROL_NAME,
    role: 'control',
    command: [
      ...controlCommand(input.mesh), 'control', '--dir', dir, '--xds-port', String(xdsPort), '--api-port', String(apiPort),
      '--bind', LOOPBACK, '--addressing', paths.portMap, ...(input.poll ? ['--poll'] : []),
    ],
    cwd: dir,
    env: controlEnv(base),
    log: paths.log(CONTROL_NAME),
  };

  const bootstraps = new Map<string, EnvoyJson>();
  const envoy = (proxy: string, service?: ServiceModel, version?: VersionModel): ProcessSpec => {
    bootstraps.set(proxy, input.bootstrap({
      proxy,
      ...(service && version ? { service: service.name, version: version.name } : {}),
      xdsHost: LOOPBACK,
      xdsPort,
      adminPort: port(portKey.admin(proxy)),
      listenAddress: LOOPBACK,
    }));
    const name = service ? sidecarName(proxy) : proxy;
    return {
      name,
      role: 'proxy',
      ...(service ? { service: service.name } : {}),
      command: [input.envoy, '-c', paths.bootstrap(proxy), '--use-dynamic-base-id', '--concurrency', '1', '--log-level', 'warning', ...ENVOY_DRAIN_ARGS],
      cwd: dir,
      env: base,
      log: paths.log(name),
    };
  };

  const proxies: ProcessSpec[] = [];
  const apps: AppSpec[] = [];
  for (const service of model.services) {
    for (const version of service.versions) {
      proxies.push(envoy(version.proxy, service, version));
      if (version.replicas > 1) {
        notes.push(`${version.proxy}: replicas: ${version.replicas} runs as one process in the process runtime.`);
      }
      const first = service.ports[0]!.port;
      const appPort = port(portKey.app(version.proxy, first));
      const proxyUrl = `http://${LOOPBACK}:${port(portKey.outbound(version.proxy))}`;
      const noProxy = `localhost,${LOOPBACK}`;
      const check = version.spec.healthcheck;
      const healthPort = (check?.port && input.ports.portMap.ports[portKey.app(version.proxy, check.port)]) || appPort;
      const env = { ...base, ...Object.fromEntries(Object.entries(version.spec.env ?? {}).map(([k, v]) => [k, String(v)])) };
      const command = version.spec.command!;
      if (input.appNode && !namesPath(command)) env.PATH = pathWith(input.appNode.dir, env.PATH);
      apps.push({
        name: version.proxy,
        role: 'app',
        service: service.name,
        command,
        cwd: dir,
        env: {
          ...env,
          PORT: String(appPort),
          HTTP_PROXY: proxyUrl,
          http_proxy: proxyUrl,
          NO_PROXY: noProxy,
          no_proxy: noProxy,
          NODE_USE_ENV_PROXY: '1',
        },
        log: paths.log(version.proxy),
        portKey: portKey.app(version.proxy, first),
        declared: JSON.stringify([command, version.spec.env ?? {}, dir, check ?? null]),
        health: check?.path ? { url: `http://${LOOPBACK}:${healthPort}${check.path}` } : { port: healthPort },
      });
    }
  }
  if (apps.length > 0) notes.push(proxyNote(input.appNode));
  for (const { proxy } of gatewayProxies(model.gateways)) proxies.push(envoy(proxy));
  notes.push(...localCertificateNotes(model, dir));
  // Where each published gateway port listens (a gateway proxy's port that was busy took another).
  const gateways = gatewayHostPorts(model).map((p) => gatewayUrl(LOOPBACK, { ...p, hostPort: port(portKey.gateway(p.serverPort, p.proxy)) }));
  return { control, proxies, apps, bootstraps, proxyIds: [...bootstraps.keys()], gateways, notes };
}
