// Kubernetes Services and the Deployments and StatefulSets they select → the mesh's services and
// their versions, as Istio derives them: a Service is a host, each workload its selector matches
// (same namespace, pod template labels ⊇ selector) is a version named by Istio's canonical
// revision, and the pod template's first container is what runs. What localmesh cannot apply is
// reported where it is written.
import type { ParsedResource } from '../kinds.ts';
import type { SourceDocument } from '../load.ts';
import { DEFAULT_NAMESPACE, fqdn, type ServiceModel, type ServicePortModel, type SourceRef, type VersionModel } from '../model.ts';
import { proxyId } from '../names.ts';
import { keyAt, valueAt, type Path } from '../position.ts';
import { formatRef, type Report } from '../report.ts';
import type { Container, KubeService, Probe, Workload } from '../schema/kubernetes.ts';
import type { Version } from '../schema/mesh.ts';
import { dnsLabelProblem, isDnsLabel } from '../services.ts';
import { portProtocol } from './protocol.ts';
import { meshParent, parentService } from './version-services.ts';

/** Istio's canonical revision labels (pkg/kube/labels), first found wins; else `latest`. */
const REVISION_LABELS = ['service.istio.io/canonical-revision', 'app.kubernetes.io/version', 'version'];
const DEFAULT_REVISION = 'latest';

/** As many replicas as a Mesh version may have. */
const MAX_REPLICAS = 50;

interface Located<T> {
  value: T;
  source: SourceDocument;
}

type WorkloadDoc = Located<Workload> & { kind: 'Deployment' | 'StatefulSet' };

const namespaceOf = (r: { metadata: { namespace?: string | undefined } }) => r.metadata.namespace ?? DEFAULT_NAMESPACE;

const labelText = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ');

/** The version name of a workload: its canonical revision, made a DNS label (`1.20.3` → `1-20-3`). */
function revision(labels: Record<string, string>): { name: string; label?: string } {
  const label = REVISION_LABELS.find((l) => labels[l] !== undefined);
  if (!label) return { name: DEFAULT_REVISION };
  const name = labels[label]!.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return { name, label };
}

const CONTAINER: Path = ['spec', 'template', 'spec', 'containers', 0];

/** The number a port reference (a number, or the name of one of the container's ports) stands for. */
function containerPort(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function healthcheck(w: WorkloadDoc, container: Container, probe: Probe, report: Report): Version['healthcheck'] {
  const at: Path = [...CONTAINER, 'readinessProbe'];
  const action = probe.httpGet ?? probe.tcpSocket;
  if (!action) {
    report('warning', keyAt(w.source, at), `the readinessProbe of container ${container.name} is not applied: localmesh checks readiness by httpGet or tcpSocket only`);
    return undefined;
  }
  const key = probe.httpGet ? 'httpGet' : 'tcpSocket';
  const port = containerPort(container, action.port);
  if (port === undefined) {
    report('error', valueAt(w.source, [...at, key, 'port']), `the readinessProbe port '${action.port}' names no port of container ${container.name}`,
      `name one of its ports (${container.ports?.map((p) => p.name ?? p.containerPort).join(', ') || 'none'}) or give a number`);
    return undefined;
  }
  return {
    ...(probe.httpGet ? { path: probe.httpGet.path ?? '/' } : {}),
    port,
    ...(probe.periodSeconds !== undefined ? { interval: `${probe.periodSeconds}s` } : {}),
    ...(probe.timeoutSeconds !== undefined ? { timeout: `${probe.timeoutSeconds}s` } : {}),
    ...(probe.failureThreshold !== undefined ? { retries: probe.failureThreshold } : {}),
  };
}

/** What the workload runs, as a Mesh version: its first container's image, command, env and probe. */
function versionSpec(w: WorkloadDoc, report: Report): Version {
  const [container, ...others] = w.value.spec.template.spec.containers as [Container, ...Container[]];
  others.forEach((other, i) => {
    report('warning', valueAt(w.source, ['spec', 'template', 'spec', 'containers', i + 1, 'name']),
      `container ${other.name} of ${w.kind} ${w.value.metadata.name} is not run: localmesh runs one app container per version, the first`);
  });
  const pod = w.value.spec.template.spec;
  pod.initContainers?.forEach((init, i) => {
    report('warning', valueAt(w.source, ['spec', 'template', 'spec', 'initContainers', i, 'name']),
      `init container ${init.name} of ${w.kind} ${w.value.metadata.name} is not run: localmesh runs the app container only`);
  });
  pod.volumes?.forEach((volume, i) => {
    const type = Object.keys(volume).find((k) => k !== 'name') ?? 'no source';
    if (type === 'emptyDir') return;
    report('warning', valueAt(w.source, ['spec', 'template', 'spec', 'volumes', i, 'name']),
      `volume ${volume.name} (${type}) of ${w.kind} ${w.value.metadata.name} is not mounted: localmesh mounts no volumes (an emptyDir needs none: the container writes its own files)`);
  });
  const env: Record<string, string> = {};
  container.env?.forEach((variable, i) => {
    if (variable.valueFrom) {
      const from = Object.keys(variable.valueFrom)[0] ?? 'valueFrom';
      report('warning', keyAt(w.source, [...CONTAINER, 'env', i, 'valueFrom']),
        `env ${variable.name} of container ${container.name} takes its value from a ${from}, which localmesh does not read: the variable is not set`,
        `give it a value to set it locally: value: "..."`);
    } else env[variable.name] = variable.value ?? '';
  });
  if (container.envFrom?.length) {
    report('warning', keyAt(w.source, [...CONTAINER, 'envFrom']),
      `envFrom of container ${container.name} is not read by localmesh: those variables are not set`, 'list the variables under env: with their values');
  }
  const command = [...(container.command ?? []), ...(container.args ?? [])];
  const check = container.readinessProbe && healthcheck(w, container, container.readinessProbe, report);
  return {
    image: container.image,
    ...(command.length > 0 ? { command } : {}),
    ...(Object.keys(env).length > 0 ? { env } : {}),
    replicas: w.value.spec.replicas ?? 1,
    ...(check ? { healthcheck: check } : {}),
  };
}

function selects(selector: Record<string, string>, w: WorkloadDoc, namespace: string): boolean {
  const labels = w.value.spec.template.metadata?.labels ?? {};
  return namespaceOf(w.value) === namespace && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The service ports localmesh serves, each with Istio's protocol; UDP ports and mistakes reported. */
function servicePorts(svc: Located<KubeService>, selected: readonly WorkloadDoc[], report: Report): ServicePortModel[] {
  const { name } = svc.value.metadata;
  const ports: ServicePortModel[] = [];
  const seen = new Map<number, number>();
  (svc.value.spec.ports ?? []).forEach((port, i) => {
    const at: Path = ['spec', 'ports', i];
    const first = seen.get(port.port);
    if (first !== undefined) {
      report('error', valueAt(svc.source, [...at, 'port']), `port ${port.port} is listed twice for Service ${name} (first at ports[${first}])`);
      return;
    }
    seen.set(port.port, i);
    // A named target port is looked up in each workload's app container; a number is itself.
    const target = port.targetPort ?? port.port;
    const numbers = typeof target === 'number' ? [] : selected.map((w) => {
      const container = w.value.spec.template.spec.containers[0]!;
      const number = containerPort(container, target);
      if (number === undefined) {
        report('error', valueAt(svc.source, [...at, 'targetPort']), `target port '${target}' of Service ${name} names no port of container ${container.name} in ${w.kind} ${w.value.metadata.name}`,
          `name one of its ports (${container.ports?.map((p) => p.name ?? p.containerPort).join(', ') || 'none'}) or give a number`);
      }
      return { w, number };
    });
    const resolved = numbers.filter((n): n is { w: WorkloadDoc; number: number } => n.number !== undefined);
    const other = resolved.find((n) => n.number !== resolved[0]!.number);
    if (other) {
      const first = resolved[0]!;
      report('error', valueAt(svc.source, [...at, 'targetPort']),
        `target port '${target}' of Service ${name} is port ${first.number} in ${first.w.kind} ${first.w.value.metadata.name} but ${other.number} in ${other.w.kind} ${other.w.value.metadata.name}; localmesh needs one port per service port`,
        'give the container port that name the same number in every version');
      return;
    }
    if (numbers.length > resolved.length) return;
    const targetPort = typeof target === 'number' ? target : resolved[0]?.number;
    const protocol = portProtocol(port);
    const label = port.name ? `${port.port} (${port.name})` : `${port.port}`;
    if (protocol.protocol === 'udp') {
      report('warning', valueAt(svc.source, [...at, 'protocol']), `UDP port ${label} of Service ${name} is not served: Istio proxies TCP only`);
      return;
    }
    if (protocol.detected) {
      report('warning', valueAt(svc.source, at), `port ${label} of Service ${name} names no protocol; Istio would detect it, localmesh serves it as HTTP`,
        'name the port by its protocol (http-…, http2-…, grpc-…, tcp-…) or set appProtocol, as Istio recommends');
    }
    ports.push({
      port: port.port,
      ...(targetPort !== undefined && targetPort !== port.port ? { targetPort } : {}),
      protocol: protocol.protocol,
      ...(port.name ? { name: port.name } : {}),
    });
  });
  return ports;
}

/** The version of one service a workload is: named by its canonical revision; undefined when it does not run. */
function version(service: string, w: WorkloadDoc, report: Report): { version: VersionModel; at: SourceRef } | undefined {
  const labels = w.value.spec.template.metadata?.labels ?? {};
  const { name, label } = revision(labels);
  const at = valueAt(w.source, ['metadata', 'name']);
  if (!isDnsLabel(name)) {
    report('error', label ? valueAt(w.source, ['spec', 'template', 'metadata', 'labels', label]) : at, dnsLabelProblem(`version of ${w.kind} ${w.value.metadata.name}`, name));
  }
  const spec = versionSpec(w, report);
  if (spec.replicas === 0) {
    report('warning', valueAt(w.source, ['spec', 'replicas']), `${w.kind} ${w.value.metadata.name} has replicas: 0, so it does not run`);
    return undefined;
  }
  if (spec.replicas > MAX_REPLICAS) {
    report('error', valueAt(w.source, ['spec', 'replicas']), `${w.kind} ${w.value.metadata.name} has ${spec.replicas} replicas; localmesh runs at most ${MAX_REPLICAS} of a version`);
  }
  const replacesEntrypoint = w.value.spec.template.spec.containers[0]!.command !== undefined;
  const serviceAccount = w.value.spec.template.spec.serviceAccountName;
  return {
    version: { name, proxy: proxyId(service, name), labels, replicas: spec.replicas, spec, ...(replacesEntrypoint ? { replacesEntrypoint } : {}), ...(serviceAccount ? { serviceAccount } : {}) },
    at,
  };
}

type SelectedBy = Map<WorkloadDoc, { service: string; at: SourceRef }>;

/** The versions of a Service: the workloads it selects that no Service selected before, by version name. */
function versionsOf(svc: Located<KubeService>, selected: readonly WorkloadDoc[], selectedBy: SelectedBy, report: Report): VersionModel[] {
  const { name } = svc.value.metadata;
  const at = valueAt(svc.source, ['metadata', 'name']);
  const versions = new Map<string, { version: VersionModel; at: SourceRef; workload: WorkloadDoc }>();
  for (const w of selected) {
    const other = selectedBy.get(w);
    if (other) {
      report('error', valueAt(svc.source, ['spec', 'selector']),
        `${w.kind} ${w.value.metadata.name} is selected by Services ${other.service} and ${name}; localmesh runs a workload for one Service only`,
        `the other Service is at ${formatRef(other.at)}; give the pods of each Service their own labels`);
      continue;
    }
    selectedBy.set(w, { service: name, at });
    const v = version(name, w, report);
    if (!v) continue;
    const same = versions.get(v.version.name);
    if (same) {
      const [a, b] = [same.workload, w];
      const both = a.kind === b.kind ? `${a.kind}s ${a.value.metadata.name} and ${b.value.metadata.name}` : `${a.kind} ${a.value.metadata.name} and ${b.kind} ${b.value.metadata.name}`;
      report('error', v.at, `${both} of Service ${name} are both version ${v.version.name}; localmesh runs each version of a service as one workload`,
        `give their pod templates distinct version labels (the first is at ${formatRef(same.at)})`);
      continue;
    }
    versions.set(v.version.name, { ...v, workload: w });
  }
  return [...versions.values()].map((v) => v.version).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The service a Kubernetes Service declares; undefined when it is not one localmesh can run. */
function serviceOf(svc: Located<KubeService>, workloads: readonly WorkloadDoc[], selectedBy: SelectedBy, report: Report): ServiceModel | undefined {
  const { value, source } = svc;
  const { name } = value.metadata;
  const namespace = namespaceOf(value);
  const at = valueAt(source, ['metadata', 'name']);
  if (!isDnsLabel(name)) report('error', at, dnsLabelProblem('Service name', name));
  if (!isDnsLabel(namespace)) report('error', valueAt(source, ['metadata', 'namespace']), dnsLabelProblem('namespace', namespace));
  const selector = value.spec.selector ?? {};
  const external = value.spec.type === 'ExternalName';
  if (external || Object.keys(selector).length === 0) {
    report('error', external ? valueAt(source, ['spec', 'type']) : keyAt(source, ['spec']),
      `Service ${name} ${external ? 'is an ExternalName' : 'has no selector'}; localmesh runs the Deployments and StatefulSets a selector matches, and Services without one are not supported yet`);
    return undefined;
  }
  const selected = workloads.filter((w) => selects(selector, w, namespace));
  if (selected.length === 0) {
    report('warning', valueAt(source, ['spec', 'selector']), `Service ${name} selects no Deployment or StatefulSet (${labelText(selector)}), so calls to it fail`);
  }
  const ports = servicePorts(svc, selected, report);
  if (ports.length === 0 && !(value.spec.ports ?? []).some((p) => p.protocol !== 'UDP')) {
    report('error', keyAt(source, ['spec', 'ports']), `Service ${name} has no TCP port for localmesh to serve`);
  }
  return { name, namespace, fqdn: fqdn(name, namespace), ports, versions: versionsOf(svc, selected, selectedBy, report), source: at };
}

/** The services the Kubernetes Services of the mesh declare, sorted by fqdn; `mesh`: those the Mesh document declares. */
export function buildKubeServices(resources: readonly ParsedResource[], report: Report, mesh: readonly ServiceModel[] = []): ServiceModel[] {
  const workloads: WorkloadDoc[] = resources.flatMap((r) =>
    r.kind === 'Deployment' || r.kind === 'StatefulSet' ? [{ kind: r.kind, value: r.value, source: r.source }] : [],
  );
  const selectedBy: SelectedBy = new Map();
  const declared = new Map<string, SourceRef>();
  const services: ServiceModel[] = [];
  const kubeServices = resources.flatMap((r) => (r.kind === 'Service' ? [r.value] : []));
  for (const r of resources) {
    if (r.kind !== 'Service') continue;
    const key = `${namespaceOf(r.value)}/${r.value.metadata.name}`;
    const at = valueAt(r.source, ['metadata', 'name']);
    const first = declared.get(key);
    if (first) {
      report('error', at, `Service ${key} is defined twice`, `the first is at ${formatRef(first)}; give one of them another name`);
      continue;
    }
    declared.set(key, at);
    // A Service that names a version of another (reviews-v1 beside reviews) runs no workload of its own.
    if (parentService(r.value, kubeServices) || meshParent(r.value, resources, mesh)) continue;
    const service = serviceOf({ value: r.value, source: r.source }, workloads, selectedBy, report);
    if (service) services.push(service);
  }
  for (const w of workloads) {
    if (!selectedBy.has(w)) {
      report('warning', valueAt(w.source, ['metadata', 'name']), `${w.kind} ${w.value.metadata.name} is selected by no Service, so localmesh does not run it`,
        'localmesh runs the workloads of Services: add a Service whose selector matches its pod labels');
    }
  }
  return services.sort((a, b) => (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : 0));
}
