// The mesh → what a Kubernetes cluster with Istio needs to run it (pure): a Namespace per mesh
// namespace with sidecar injection on, and for each service of the Mesh document a ServiceAccount,
// a Service (ports named by protocol, as Istio's protocol selection reads them) and a Deployment
// per version; every other document of the mesh directory (Istio's kinds, the Kubernetes kinds
// the user wrote) is copied byte for byte, and localmesh's other kinds (Canary) are left out, with
// a warning. Output: namespaces.yaml, workloads/NAME.NAMESPACE.yaml
// (one file per service) and the copied files at their paths in the directory.
import { posix, relative, sep } from 'node:path';
import { Document, isScalar } from 'yaml';
import type { Diagnostic } from '../config/diagnostics.ts';
import { parseSources, type SourceFile } from '../config/load.ts';
import { parseDuration } from '../config/duration.ts';
import { fqdn, type MeshModel, type ServiceModel, type VersionModel } from '../config/model.ts';
import { MESH_API_VERSION, type Mesh, type Protocol } from '../config/schema/mesh.ts';
import { valueAt } from '../config/position.ts';
import { meshNamespace } from '../config/services.ts';

export const NAMESPACES_FILE = 'namespaces.yaml';
export const WORKLOADS_DIR = 'workloads';

export interface ExportInput {
  model: MeshModel;
  /** The mesh directory as its files' paths start (readMeshDir). */
  dir: string;
  /** The files of the mesh directory, as readMeshDir returns them. */
  files: readonly SourceFile[];
  /** The image a version without image or build runs on (the Compose runtime's Node.js image). */
  nodeImage: string;
}

export interface ExportResult {
  /** Path relative to the output directory (with '/') → text, sorted by path. */
  files: Map<string, string>;
  /** What the cluster will not run as the mesh does, at the version or service it concerns. */
  diagnostics: Diagnostic[];
}

/** Istio's port name prefix for each protocol (protocol selection by name, `http-web`). */
const PORT_PREFIX: Record<Protocol, string> = { http: 'http', http2: 'http2', grpc: 'grpc', tcp: 'tcp' };

/** A Mesh port's name as Istio reads it: the protocol, then the given name or the number. */
export function portName(protocol: Protocol, port: number, name?: string): string {
  const prefix = PORT_PREFIX[protocol];
  if (name === undefined) return `${prefix}-${port}`;
  const lower = name.toLowerCase();
  return lower === prefix || lower.startsWith(`${prefix}-`) ? name : `${prefix}-${name}`;
}

const yamlText = (doc: Document) => doc.toString({ lineWidth: 0 });

/** Words of a comment, as lines of at most `width` characters. */
function wrap(text: string, width = 96): string {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.map((l) => ` ${l}`).join('\n');
}

function toYaml(value: unknown, comment?: string): Document {
  // Labels shared by the selector and the metadata are written out twice, not as an anchor.
  const doc = new Document(value, { aliasDuplicateObjects: false });
  if (comment) doc.commentBefore = wrap(comment);
  return doc;
}

/** A Kubernetes probe period or timeout: whole seconds, at least 1. */
const seconds = (duration: string | undefined) => {
  const ms = duration === undefined ? undefined : parseDuration(duration);
  return ms === undefined ? undefined : Math.max(1, Math.ceil(ms / 1000));
};

function readinessProbe(service: ServiceModel, version: VersionModel): Record<string, unknown> | undefined {
  const check = version.spec.healthcheck;
  if (!check) return undefined;
  const port = check.port ?? service.ports[0]!.port;
  const period = seconds(check.interval);
  const timeout = seconds(check.timeout);
  return {
    ...(check.path !== undefined ? { httpGet: { path: check.path, port } } : { tcpSocket: { port } }),
    ...(period !== undefined ? { periodSeconds: period } : {}),
    ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    ...(check.retries !== undefined ? { failureThreshold: check.retries } : {}),
  };
}

const words = (command: string | string[]) => (typeof command === 'string' ? command.trim().split(/\s+/) : command);

interface Image {
  image: string;
  /** Why the cluster cannot pull the image as the mesh runs it, for a warning and a comment. */
  note?: string;
}

function imageOf(service: ServiceModel, version: VersionModel, nodeImage: string): Image {
  const { image, build, command } = version.spec;
  const who = `${service.name} ${version.name}`;
  if (build !== undefined) {
    const context = typeof build === 'string' ? build : build.context;
    const tag = image ?? `${service.name}:${version.name}`;
    return { image: tag, note: `${who} is built from ${context} by mesh up: build it and push it as ${tag} to a registry the cluster pulls from` };
  }
  if (image !== undefined) return { image };
  const line = words(command ?? ['node', 'server.mjs']).join(' ');
  return {
    image: nodeImage,
    note: `${who} runs \`${line}\` on ${nodeImage} with the mesh folder mounted; in a cluster the app's files are not there: bake the app folder into an image (FROM ${nodeImage}, COPY the folder) and set image: to it`,
  };
}

function deployment(service: ServiceModel, version: VersionModel, nodeImage: string): { doc: Document; note?: string } {
  const { spec } = version;
  const image = imageOf(service, version, nodeImage);
  const env = Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value: String(value) }));
  const command = spec.command === undefined ? undefined : words(spec.command);
  const probe = readinessProbe(service, version);
  const selector = { app: version.labels.app ?? service.name, version: version.labels.version ?? version.name };
  const container = {
    name: service.name,
    image: image.image,
    // A Mesh command replaces the image's default arguments and keeps its entrypoint (Compose's
    // `command:`), as a container's `args` does.
    ...(command ? { args: command } : {}),
    ...(env.length > 0 ? { env } : {}),
    ports: service.ports.map((p) => ({ containerPort: p.targetPort ?? p.port })),
    ...(probe ? { readinessProbe: probe } : {}),
  };
  const value = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: version.proxy, namespace: service.namespace, labels: selector },
    spec: {
      replicas: version.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: version.labels },
        spec: { serviceAccountName: service.name, containers: [container] },
      },
    },
  };
  const doc = toYaml(value, image.note ? `${image.note}.` : undefined);
  if (image.note) {
    const node = doc.getIn(['spec', 'template', 'spec', 'containers', 0, 'image'], true);
    if (isScalar(node)) node.comment = ' replace: see the note at the top';
  }
  return { doc, ...(image.note ? { note: image.note } : {}) };
}

function kubeService(service: ServiceModel): Document {
  const app = service.versions[0]?.labels.app ?? service.name;
  return toYaml({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: service.name, namespace: service.namespace, labels: { app, service: service.name } },
    spec: {
      ports: service.ports.map((p) => ({
        name: portName(p.protocol, p.port, p.name),
        port: p.port,
        ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
      })),
      selector: { app },
    },
  });
}

const serviceAccount = (service: ServiceModel) =>
  toYaml({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: service.name, namespace: service.namespace, labels: { account: service.name } } });

/** Every namespace the mesh's services and Istio resources live in, sorted. */
function namespaces(model: MeshModel): string[] {
  const all = new Set<string>([
    model.namespace,
    ...model.services.map((s) => s.namespace),
    ...model.virtualServices.map((r) => r.namespace),
    ...model.destinationRules.map((r) => r.namespace),
    ...model.gateways.map((r) => r.namespace),
  ]);
  return [...all].sort();
}

/** A document of localmesh's own kinds (Mesh, Canary): no cluster knows them. */
const isLocalmesh = (value: unknown): value is { kind: string; metadata?: { name?: unknown } } =>
  typeof value === 'object' && value !== null && (value as { apiVersion?: unknown }).apiVersion === MESH_API_VERSION;

const isMesh = (value: unknown): value is Mesh => isLocalmesh(value) && value.kind === 'Mesh';

/** The file's text without localmesh's documents, each cut out with its `---` line; undefined when nothing else is left. */
function withoutLocalmesh(text: string, meshRanges: ReadonlyArray<readonly [number, number]>): string | undefined {
  let out = '';
  let at = 0;
  for (const [start, end] of meshRanges) {
    out += text.slice(at, start);
    at = end;
  }
  out += text.slice(at);
  // Only comments and document markers left: no resource.
  return out.split('\n').every((l) => /^\s*(#.*|---\s*(#.*)?|\.\.\.)?\s*$/.test(l)) ? undefined : out;
}

/** Pure: the mesh → the manifests (see the file's head), deterministic. */
export function exportKubernetes(input: ExportInput): ExportResult {
  const { model, files, nodeImage } = input;
  const out = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const parsed = parseSources(files);
  const own = parsed.documents.filter((d) => isLocalmesh(d.value));
  // The services the Mesh document declares are generated; a Kubernetes Service is copied as written.
  const fromMesh = new Set(own.flatMap((d) => (isMesh(d.value) ? Object.keys(d.value.spec.services).map((name) => fqdn(name, meshNamespace(d.value as Mesh))) : [])));
  for (const d of own) {
    if (isMesh(d.value)) continue;
    const { kind, metadata } = d.value as { kind: string; metadata?: { name?: unknown } };
    diagnostics.push({ ...valueAt(d, ['kind']), severity: 'warning', message: `${kind} ${String(metadata?.name)} is not exported: it is localmesh's own kind, which a cluster does not know`,
      ...(kind === 'Canary' ? { hint: "in a cluster, Flagger's Canary (flagger.app/v1beta1) runs the same analysis" } : {}) });
  }

  const header = (what: string) => wrap(`Written by mesh export kubernetes: ${what}; edit the mesh and export again.`);
  const namespaceDocs = namespaces(model).map((name) => toYaml({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } }));
  namespaceDocs[0]!.commentBefore = header(`the namespaces of the mesh in ${input.dir}`);
  out.set(NAMESPACES_FILE, namespaceDocs.map(yamlText).join('---\n'));

  for (const service of model.services) {
    if (!fromMesh.has(service.fqdn)) continue;
    const account = serviceAccount(service);
    account.commentBefore = header(`service ${service.name} of the Mesh document in ${service.source.file}`);
    const docs = [account, kubeService(service)];
    for (const version of service.versions) {
      const { doc, note } = deployment(service, version, nodeImage);
      docs.push(doc);
      if (note) diagnostics.push({ ...service.source, severity: 'warning', message: `the exported Deployment ${version.proxy} will not run as is: ${note}` });
    }
    out.set(`${WORKLOADS_DIR}/${service.name}.${service.namespace}.yaml`, docs.map(yamlText).join('---\n'));
  }

  for (const file of files) {
    const path = relative(input.dir, file.path).split(sep).join(posix.sep);
    const ranges = own.filter((d) => d.file === file.path).map((d) => [d.doc.range[0], d.doc.range[2]] as const);
    const text = ranges.length === 0 ? file.text : withoutLocalmesh(file.text, ranges);
    if (text === undefined) continue;
    if (out.has(path)) {
      diagnostics.push({ file: file.path, line: 0, col: 0, severity: 'error', message: `${path} would be overwritten by the generated ${path === NAMESPACES_FILE ? 'Namespaces' : 'workloads'}`, hint: `rename the file: the export writes ${NAMESPACES_FILE} and ${WORKLOADS_DIR}/NAME.NAMESPACE.yaml` });
      continue;
    }
    out.set(path, text);
  }
  return { files: new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), diagnostics };
}
