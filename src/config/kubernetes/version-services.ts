// Services that name a version of another Service, Istio's way to give a Gateway API route a
// version as its backend (samples/bookinfo/platform/kube/bookinfo-versions.yaml: `reviews-v1`
// selects {app: reviews, version: v1} beside `reviews`, which selects {app: reviews}). Their
// workloads are the other Service's, run once as its versions; the mesh keeps each as an alias
// (VersionServiceModel) that routes resolve to a subset of the other service.
import type { ParsedResource } from '../kinds.ts';
import { DEFAULT_NAMESPACE, fqdn, type DestinationRuleModel, type ServiceModel, type VersionServiceModel } from '../model.ts';
import { valueAt } from '../position.ts';
import type { Report } from '../report.ts';
import type { KubeService } from '../schema/kubernetes.ts';

type ServiceResource = Extract<ParsedResource, { kind: 'Service' }>;

const namespaceOf = (s: KubeService) => s.metadata.namespace ?? DEFAULT_NAMESPACE;
const selectorOf = (s: KubeService) => s.spec.selector ?? {};

/** Whether selector `a` is a strict part of selector `b`: every label of `a` in `b`, and `b` has more. */
function narrows(a: Record<string, string>, b: Record<string, string>): boolean {
  const entries = Object.entries(a);
  return entries.length > 0 && entries.length < Object.keys(b).length && entries.every(([k, v]) => b[k] === v);
}

/**
 * The Service whose workloads `svc` selects a part of, by a narrower selector in the same
 * namespace: the closest (most labels) of those that are not themselves version Services.
 */
export function parentService(svc: KubeService, all: readonly KubeService[]): KubeService | undefined {
  const candidates = (of: KubeService) =>
    all.filter((other) => other !== of && namespaceOf(other) === namespaceOf(of) && other.spec.type !== 'ExternalName' && narrows(selectorOf(other), selectorOf(of)));
  const roots = candidates(svc).filter((c) => candidates(c).length === 0);
  return roots.sort((a, b) => Object.keys(selectorOf(b)).length - Object.keys(selectorOf(a)).length)[0];
}

const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * The Mesh-declared service whose versions a Service selects, when it selects no Deployment or
 * StatefulSet: the way to name a version of a `Mesh` service as a Gateway API backend (a Service
 * `reviews-v1` with selector {app: reviews, version: v1} beside the Mesh's reviews).
 */
export function meshParent(svc: KubeService, resources: readonly ParsedResource[], mesh: readonly ServiceModel[]): ServiceModel | undefined {
  const selector = selectorOf(svc);
  if (Object.keys(selector).length === 0 || svc.spec.type === 'ExternalName') return undefined;
  const namespace = namespaceOf(svc);
  const ownWorkloads = resources.some((r) => (r.kind === 'Deployment' || r.kind === 'StatefulSet') && (r.value.metadata.namespace ?? DEFAULT_NAMESPACE) === namespace
    && selects(selector, r.value.spec.template.metadata?.labels ?? {}));
  if (ownWorkloads) return undefined;
  const parents = mesh.filter((s) => s.namespace === namespace && s.versions.some((v) => selects(selector, v.labels)));
  return parents.length === 1 ? parents[0] : undefined;
}

/** The version Services of the mesh, each resolved to the service whose versions it selects. */
export function buildVersionServices(resources: readonly ParsedResource[], services: readonly ServiceModel[], mesh: readonly ServiceModel[], report: Report): VersionServiceModel[] {
  const kube = resources.filter((r): r is ServiceResource => r.kind === 'Service');
  const all = kube.map((r) => r.value);
  const out: VersionServiceModel[] = [];
  for (const { value, source } of kube) {
    const namespace = namespaceOf(value);
    const parent = parentService(value, all);
    const parentFqdn = parent ? fqdn(parent.metadata.name, namespace) : meshParent(value, resources, mesh)?.fqdn;
    if (!parentFqdn) continue;
    const service = services.find((s) => s.fqdn === parentFqdn);
    if (!service) continue; // the parent is reported where it is written
    const labels = selectorOf(value);
    const { name } = value.metadata;
    if (!service.versions.some((v) => selects(labels, v.labels))) {
      report('warning', valueAt(source, ['spec', 'selector']),
        `Service ${name} selects no version of ${service.name}, so routes to it fail`,
        `versions of ${service.name}: ${service.versions.map((v) => v.name).join(', ') || '(none)'}`);
    }
    const ports = (value.spec.ports ?? []).flatMap((port, i) => {
      const own = service.ports.find((p) => p.port === port.port);
      if (!own) {
        report('error', valueAt(source, ['spec', 'ports', i, 'port']),
          `port ${port.port} of Service ${name} is not a port of ${service.name}, whose versions it selects; localmesh serves a version through the ports of its service`,
          `ports of ${service.name}: ${service.ports.map((p) => p.port).join(', ')}`);
        return [];
      }
      return [own];
    });
    out.push({ name, namespace, fqdn: fqdn(name, namespace), service: service.fqdn, labels, ports, source: valueAt(source, ['metadata', 'name']) });
  }
  return out;
}

/**
 * The subsets version Services stand for, as DestinationRules of their services (after the
 * user's, which take precedence when they merge): `reviews-v1` is the subset `reviews-v1` of
 * reviews with the labels of its selector. What compile builds clusters and routes from.
 */
export function versionSubsetRules(versionServices: readonly VersionServiceModel[]): DestinationRuleModel[] {
  return versionServices.map((v) => ({
    name: v.name,
    namespace: v.namespace,
    source: v.source,
    service: v.service,
    spec: { host: v.service, subsets: [{ name: v.name, labels: v.labels }] },
  }));
}
