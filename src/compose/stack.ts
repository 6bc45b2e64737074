// The Compose stack of a mesh, as text and files (pure: the model and settings in, nothing
// touched): DIR/.mesh/compose.yaml and one Envoy bootstrap per proxy in DIR/.mesh/envoy/.
// The stack's shape is data: the fragments in the top-level compose/ folder (the control plane,
// one pod per workload instance, the gateway), filled in here. Paths in the file are relative to
// the mesh directory, Compose's project directory (`--project-directory DIR`, which the user's own
// Compose files merged after it share), so
// `docker compose -p PROJECT --project-directory . -f .mesh/compose.yaml up` works by hand too.
//
// Replicas are further pods (S-v-r2-pod, …) whose holders carry the alias S-v-proxy too, so
// Compose DNS answers every replica for it: `network_mode: service:X` joins one container of X,
// so Compose's own scaling (scale, deploy.replicas) cannot give each app its own sidecar.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { Document, isScalar, parse, visit } from 'yaml';
import { gatewayHostPorts, gatewayUrl, proxyIds, type MeshModel, type ServiceModel, type VersionModel } from '../config/model.ts';
import { gatewayProxies } from '../config/gateway-proxies.ts';
import { CONTROL_NAME, sidecarName } from '../config/names.ts';
import { meshFilesNamed, serviceEntryAddresses } from '../config/service-entries.ts';
import { CAPTURE_PORTS } from '../compile/addressing.ts';
import { fillTemplate, type TemplateValues } from '../envoy/fill.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';
import type { AdsBootstrapOptions } from '../xds/bootstrap.ts';
import { ownImages, type Images, type OwnImage } from './images.ts';
import { instances, LABEL, projectName, type Role } from './names.ts';
import { CONTROL_MALLOC_ARENA_MAX, CONTROL_NODE_FLAG, CONTROL_NODE_OPTIONS } from '../control/node-options.ts';

export const CONTROL_PORTS = { xds: 15010, api: 15080 } as const;
/** Where the app's folder (the mesh directory, or the ancestor its command reaches) is mounted. */
const APP_MOUNT = '/app';

export interface StackInput {
  model: MeshModel;
  /** The mesh directory, absolute. */
  meshDir: string;
  images: Images;
  /** Host port of the control plane's API (published on 127.0.0.1). */
  apiPort: number;
  /** The localmesh installation (absolute), mounted read-only into the control plane. */
  codeDir: string;
  /** The user's own Compose files merged after this one, as named from the mesh directory (for the header). */
  userFiles?: string[];
  bootstrap(options: AdsBootstrapOptions): EnvoyJson;
}

export interface Stack {
  project: string;
  /** DIR/.mesh/compose.yaml. */
  compose: string;
  /** Other files, by path relative to DIR/.mesh/. */
  files: Map<string, string>;
  /** Compose services by role (replicas included). */
  services: Record<Role, string[]>;
  /** The proxy ids the control plane must report SYNCED. */
  proxyIds: string[];
  /** The gateway's URLs on the host. */
  gateways: string[];
  /** The control plane's API on the host. */
  api: string;
  /** The images the stack runs that neither Compose nor mesh up builds: pulled when missing. */
  images: string[];
  /** localmesh's own images the stack runs: mesh up builds them when missing. */
  own: OwnImage[];
  /** The app services Compose builds, with their context relative to the mesh directory. */
  builds: BuiltService[];
  /**
   * Versions whose declared healthcheck the stack does not run: an image of the user's own may
   * have no program to probe with (Node apps are probed by node).
   */
  healthchecksNotRun: Array<{ service: string; version: string }>;
}

export interface BuiltService {
  /** The Compose service (one per replica). */
  service: string;
  context: string;
  dockerfile?: string;
  args?: Record<string, string>;
}

type ComposeService = Record<string, unknown>;

const labels = (role: Role, extra: Record<string, string> = {}) => ({ [LABEL.role]: role, ...extra });

/** How many folders above the mesh directory a command's relative paths reach (`../app/x.mjs`: 1). */
function levelsUp(command: string | string[]): number {
  const args = typeof command === 'string' ? command.split(/\s+/) : command;
  let up = 0;
  for (const arg of args) {
    const parts = posix.normalize(arg).split('/');
    let n = 0;
    while (parts[n] === '..') n++;
    up = Math.max(up, n);
  }
  return up;
}

/** An app without image or build: Node.js with its folder mounted read-only, laid out as on the host. */
function nodeApp(meshDir: string, command: string | string[], image: string): ComposeService {
  const up = levelsUp(command);
  const hostRoot = up === 0 ? '.' : posix.join(...Array<string>(up).fill('..'));
  const below = up === 0 ? [] : meshDir.split('/').filter(Boolean).slice(-up);
  return { image, volumes: [`${hostRoot}:${APP_MOUNT}:ro`], working_dir: posix.join(APP_MOUNT, ...below) };
}

/** The app's image: as declared (image, build with its context relative to the mesh directory), else Node.js. */
/** `build:` in its long form, the fields it leaves out omitted. */
export function longBuild(build: NonNullable<VersionModel['spec']['build']>): Omit<BuiltService, 'service'> {
  if (typeof build === 'string') return { context: build };
  return { context: build.context, ...(build.dockerfile ? { dockerfile: build.dockerfile } : {}), ...(build.args ? { args: build.args } : {}) };
}

function appImage(version: VersionModel, meshDir: string, images: Images): ComposeService {
  const { image, build, command } = version.spec;
  if (build !== undefined) {
    const spec = typeof build === 'string' ? build : longBuild(build);
    return { ...(image ? { image } : {}), build: spec };
  }
  if (image !== undefined) return { image };
  return nodeApp(meshDir, command ?? ['node', 'server.mjs'], images.node);
}

/** A Docker healthcheck run by Node.js in the app's namespace (loopback is never captured). */
function nodeHealthcheck(service: ServiceModel, version: VersionModel): ComposeService {
  const check = version.spec.healthcheck;
  const port = check?.port ?? service.ports[0]!.port;
  const script = check?.path
    ? `fetch('http://127.0.0.1:${port}${check.path}').then((r) => process.exit(r.status < 400 ? 0 : 1), () => process.exit(1))`
    : `require('net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  return {
    test: ['CMD', 'node', '-e', script],
    interval: check?.interval ?? '1s',
    timeout: check?.timeout ?? '2s',
    retries: check?.retries ?? 3,
    start_period: '30s',
  };
}

/**
 * The names apps call a service by (`cart`, `cart.default`, `cart.default.svc.cluster.local`):
 * aliases of its proxies, so Compose DNS answers them; the call is captured and routed by the
 * sidecar, whatever address the name gave.
 */
const serviceNames = (service: Pick<ServiceModel, 'name' | 'namespace' | 'fqdn'>) => [service.name, `${service.name}.${service.namespace}`, service.fqdn];

/** The names of the Services that name this version of the service (reviews-v1, a Gateway API backend). */
const versionServiceNames = (model: MeshModel, service: ServiceModel, version: VersionModel) =>
  (model.versionServices ?? [])
    .filter((v) => v.service === service.fqdn && Object.entries(v.labels).every(([k, val]) => version.labels[k] === val))
    .flatMap(serviceNames);

const envStrings = (env: Record<string, string | number | boolean> = {}) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));

/**
 * Block YAML, with lists of plain values on one line (`cap_add: [NET_ADMIN]`) as one writes them
 * by hand; values with a colon quoted there (Compose v1's YAML 1.1 parser stops at it otherwise).
 */
function yamlText(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_, node) {
      if (!node.items.every(isScalar)) return;
      node.flow = true;
      for (const item of node.items) if (isScalar(item) && String(item.value).includes(':')) item.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** A fragment of compose/, parsed once. */
const fragments = new Map<string, unknown>();
function fragment(name: 'control' | 'pod' | 'gateway', values: TemplateValues): Record<string, ComposeService> {
  const url = new URL(`../../compose/${name}.yaml`, import.meta.url);
  if (!fragments.has(name)) fragments.set(name, parse(readFileSync(url, 'utf8')));
  return fillTemplate(fragments.get(name), values, `compose/${name}.yaml`) as Record<string, ComposeService>;
}

export function generateStack(input: StackInput): Stack {
  const { model, meshDir, images } = input;
  const files = new Map<string, string>();
  const services: Record<string, ComposeService> = {};
  const roles: Record<Role, string[]> = { control: [], gateway: [], pod: [], proxy: [], init: [], app: [] };
  const builds: BuiltService[] = [];
  const healthchecksNotRun: Stack['healthchecksNotRun'] = [];
  const add = (role: Role, fragmentServices: Record<string, ComposeService>, roleOf: (name: string) => Role = () => role) => {
    for (const [name, service] of Object.entries(fragmentServices)) {
      services[name] = service;
      roles[roleOf(name)].push(name);
    }
  };
  const bootstrapFile = (proxy: string, service?: ServiceModel, version?: VersionModel): string => {
    const config = input.bootstrap({
      proxy,
      ...(service && version ? { service: service.name, version: version.name } : {}),
      xdsHost: CONTROL_NAME,
      xdsPort: CONTROL_PORTS.xds,
      adminPort: CAPTURE_PORTS.admin,
      adminAddress: '127.0.0.1',
      statsPort: CAPTURE_PORTS.stats,
      healthPort: CAPTURE_PORTS.health,
      listenAddress: '0.0.0.0',
    });
    const path = `envoy/${proxy}.json`;
    files.set(path, JSON.stringify(config, null, 2) + '\n');
    return `./.mesh/${path}`;
  };

  add(
    'control',
    fragment('control', {
      CONTROL: CONTROL_NAME,
      NODE_IMAGE: images.node,
      CODE_DIR: input.codeDir,
      XDS_PORT: String(CONTROL_PORTS.xds),
      API_PORT: String(CONTROL_PORTS.api),
      API_HOST_PORT: String(input.apiPort),
      NODE_FLAG: CONTROL_NODE_FLAG,
      NODE_OPTIONS: CONTROL_NODE_OPTIONS,
      MALLOC_ARENA_MAX: CONTROL_MALLOC_ARENA_MAX,
      LABELS: labels('control'),
    }),
  );

  // Compose's `HOST:IP` entries; none (the key left out) without ServiceEntries.
  const vips = [...serviceEntryAddresses(model.serviceEntries)].map(([host, ip]) => `${host}:${ip}`);
  const extraHosts = vips.length > 0 ? vips : undefined;
  // The control plane compiles with the mesh directory at /mesh (compose/control.yaml): files it names are read there.
  const meshFiles = meshFilesNamed(model).length > 0 ? '.:/mesh:ro' : undefined;
  for (const service of model.services) {
    for (const version of service.versions) {
      const bootstrap = bootstrapFile(version.proxy, service, version);
      const ids = { [LABEL.proxy]: version.proxy, [LABEL.service]: service.name };
      const image = appImage(version, meshDir, images);
      const probed = image.image === images.node && !image.build;
      if (version.spec.healthcheck && !probed) healthchecksNotRun.push({ service: service.name, version: version.name });
      const build = version.spec.build === undefined ? undefined : longBuild(version.spec.build);
      for (const instance of instances(version.proxy, version.replicas)) {
        if (build) builds.push({ service: instance.app, ...build });
        const role: Record<string, Role> = { [instance.pod]: 'pod', [instance.init]: 'init', [instance.proxy]: 'proxy', [instance.app]: 'app' };
        add(
          'pod',
          fragment('pod', {
            POD: instance.pod,
            INIT: instance.init,
            PROXY: instance.proxy,
            APP: instance.app,
            CONTROL: CONTROL_NAME,
            INIT_IMAGE: images.init,
            ENVOY_IMAGE: images.envoy,
            ALIASES: [sidecarName(version.proxy), ...serviceNames(service), ...versionServiceNames(model, service, version)],
            BOOTSTRAP: bootstrap,
            APP_IMAGE: image.image,
            APP_BUILD: image.build,
            APP_VOLUMES: image.volumes,
            APP_WORKDIR: image.working_dir,
            APP_ENTRYPOINT: version.replacesEntrypoint ? version.spec.command : undefined,
            APP_COMMAND: version.replacesEntrypoint ? undefined : version.spec.command,
            APP_ENV: { ...envStrings(version.spec.env), PORT: String(service.ports[0]!.port) },
            APP_HEALTHCHECK: probed ? nodeHealthcheck(service, version) : undefined,
            EXTRA_HOSTS: extraHosts,
            MESH_FILES: meshFiles,
            POD_LABELS: labels('pod', ids),
            INIT_LABELS: labels('init', ids),
            PROXY_LABELS: labels('proxy', ids),
            APP_LABELS: labels('app', ids),
          }),
          (name) => role[name]!,
        );
      }
    }
  }

  const address = model.settings.gateway?.address ?? '127.0.0.1';
  const published = gatewayHostPorts(model);
  // One gateway service per gateway proxy (a Gateway selector), each publishing its own ports.
  for (const { proxy } of gatewayProxies(model.gateways)) {
    const own = published.filter((p) => p.proxy === proxy);
    add(
      'gateway',
      fragment('gateway', {
        GATEWAY: proxy,
        CONTROL: CONTROL_NAME,
        ENVOY_IMAGE: images.envoy,
        BOOTSTRAP: bootstrapFile(proxy),
        MESH_FILES: meshFiles,
        PORTS: own.length ? own.map((p) => `${address}:${p.hostPort}:${p.serverPort}`) : undefined,
        LABELS: labels('gateway', { [LABEL.proxy]: proxy }),
      }),
    );
  }

  const project = projectName(model.name);
  const userFiles = (input.userFiles ?? []).map((f) => ` -f ${f}`).join('');
  const urlHost = address === '0.0.0.0' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
  const header = [
    `Generated by localmesh (mesh up) from the mesh '${model.name}' and the fragments in localmesh's compose/ folder;`,
    'edits are overwritten on the next mesh up.',
    `By hand, from the mesh directory: docker compose -p ${project} --project-directory . -f .mesh/compose.yaml${userFiles} up -d`,
    `(or docker-compose with the same arguments); stop it with down.`,
  ];
  // The control plane's compile cache (compose/control.yaml); `mesh down -v` removes it.
  const text = yamlText({ services, volumes: { 'node-compile-cache': {} } });
  const own = ownImages(images);
  const ownTags = new Set(own.map((o) => o.tag));
  return {
    project,
    compose: header.map((line) => `# ${line}\n`).join('') + text,
    files,
    services: roles,
    proxyIds: proxyIds(model),
    gateways: published.map((p) => gatewayUrl(urlHost, p)),
    api: `http://127.0.0.1:${input.apiPort}`,
    images: [...new Set(Object.values(services).filter((s) => !s.build).map((s) => String(s.image)))].filter((i) => !ownTags.has(i)),
    own,
    builds,
    healthchecksNotRun,
  };
}
