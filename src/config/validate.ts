// Parsed documents → the MeshModel, or the diagnostics that say why not. The model is returned
// only when there is no error; warnings (fields accepted but not applied, ...) come with it.
import { hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import { checkConflicts } from './conflicts.ts';
import type { CheckContext } from './context.ts';
import { checkDestinationRules } from './destination-rules.ts';
import { checkPeerAuthentications } from './peer-authentications.ts';
import { checkAuthorization } from './authorization.ts';
import { checkFields } from './fields.ts';
import { checkGateways } from './gateways.ts';
import { KINDS, parseKinds, type ParsedResource } from './kinds.ts';
import type { SourceDocument } from './load.ts';
import { basename } from 'node:path';
import { DEFAULT_NAMESPACE, type MeshModel, type ServiceModel } from './model.ts';
import { valueAt } from './position.ts';
import { collector, formatRef, type Report } from './report.ts';
import { buildKubeServices } from './kubernetes/workloads.ts';
import { buildVersionServices } from './kubernetes/version-services.ts';
import { translateGatewayApi } from './gateway-api/index.ts';
import { buildResources } from './resources.ts';
import { buildServiceEntries } from './service-entries.ts';
import { operatorOutboundPolicy } from './istio-operator.ts';
import { buildServices, meshNamespace } from './services.ts';
import { MESH_API_VERSION } from './schema/mesh.ts';
import { checkVirtualServices } from './virtual-services.ts';
import { checkCanaries } from './canaries.ts';
import { analyze } from './analyze/index.ts';

export interface ValidationResult {
  model?: MeshModel;
  diagnostics: Diagnostic[];
}

export interface ValidateOptions {
  /** Run Istio's analyzers too (analyze/), and keep Istio's codes on the diagnostics (else left out). */
  analyze?: boolean;
}

/** Istio's codes are part of the analysis: without it, diagnostics read as they always did. */
function withoutCodes(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  // Copied by descriptors, not spread: a spread would work out a place nobody may ask for (report.ts).
  return diagnostics.map((d) => {
    if (d.code === undefined) return d;
    const { code: _code, ...rest } = Object.getOwnPropertyDescriptors(d);
    return Object.defineProperties({}, rest) as Diagnostic;
  });
}

const MINIMAL_MESH = `apiVersion: ${MESH_API_VERSION}
kind: Mesh
metadata: {name: dev}
spec:
  services:
    web: {ports: [{port: 8080}], versions: {v1: {image: web:latest}}}`;

/** The Mesh document of a directory, if any; a second one is reported. */
function theMesh(resources: readonly ParsedResource[], report: Report) {
  const meshes = resources.flatMap((r) => (r.kind === 'Mesh' ? [r] : []));
  const first = meshes[0];
  for (const extra of meshes.slice(1)) {
    report('error', valueAt(extra.source, ['kind']), 'a mesh directory holds exactly one Mesh document; this is a second one',
      `the first is at ${formatRef(valueAt(first!.source, ['kind']))}; merge the services into it`);
  }
  return first;
}

/** Kinds that declare the mesh's services: without all of them, references would be reported as unknown. */
const WORKLOAD_KINDS = ['Mesh', 'Service', 'Deployment', 'StatefulSet'];

/** The name of a mesh without a Mesh document: its directory's, as Compose names a project. */
function dirName(dir: string): string {
  const base = basename(dir).replace(/\.ya?ml$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return base || 'mesh';
}

/** Services declared twice, by the Mesh document and by a Kubernetes Service: the Service is reported. */
function joinServices(mesh: readonly ServiceModel[], kube: readonly ServiceModel[], report: Report): ServiceModel[] {
  const declared = new Map(mesh.map((s) => [s.fqdn, s]));
  const joined = [...mesh];
  for (const service of kube) {
    const other = declared.get(service.fqdn);
    if (other) {
      report('error', service.source, `service ${service.name}.${service.namespace} is declared twice: by this Service and in the Mesh document`,
        `the Mesh declares it at ${formatRef(other.source)}; declare each service once`);
    } else joined.push(service);
  }
  return joined.sort((a, b) => (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : 0));
}

/**
 * One name across namespaces: a workload's sidecar, container and process are named
 * `SERVICE-VERSION` (config/names.ts), so two services of one name would share them.
 */
function checkNamesAcrossNamespaces(services: readonly ServiceModel[], report: Report): void {
  const byName = new Map<string, ServiceModel>();
  for (const service of [...services].sort((a, b) => compareRefs(a.source, b.source))) {
    const first = byName.get(service.name);
    if (!first) byName.set(service.name, service);
    else if (first.namespace !== service.namespace) {
      report('error', service.source, `service ${service.name} is declared in namespace ${service.namespace} and in namespace ${first.namespace}`,
        `localmesh names each workload SERVICE-VERSION (its sidecar, container and process), so a service name is used in one namespace only; the other is at ${formatRef(first.source)}: rename one`);
    }
  }
}

function compareRefs(a: ServiceModel['source'], b: ServiceModel['source']): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}

/**
 * `where` names the whole set (the directory) in a diagnostic that has no place in one file;
 * `name` (default: from `where`) is the mesh's name when no Mesh document gives one.
 */
export function validate(documents: readonly SourceDocument[], where: string, name = where, options: ValidateOptions = {}): ValidationResult {
  const result = check(documents, where, name, options);
  return options.analyze ? result : { ...result, diagnostics: withoutCodes(result.diagnostics) };
}

function check(documents: readonly SourceDocument[], where: string, name: string, options: ValidateOptions): ValidationResult {
  const parsed = parseKinds(documents);
  const { diagnostics, report } = collector();
  diagnostics.push(...parsed.diagnostics);

  const mesh = theMesh(parsed.resources, report);
  for (const r of parsed.resources) checkFields(r.kind, KINDS[r.kind].schema, r.source, r.value, report);
  if (!parsed.written.has('Mesh') && !parsed.written.has('Service')) {
    report('error', { file: where, line: 0, col: 0 },
      'no Mesh document and no Kubernetes Service: a mesh directory declares its services in one Mesh, or as Services and the Deployments they select',
      `add a file such as mesh.yaml:\n${MINIMAL_MESH}`);
    return { diagnostics: sortDiagnostics(diagnostics) };
  }
  // Without all the services, every reference to a missing one would be reported as unknown:
  // check references only when every document declaring services was read.
  if (WORKLOAD_KINDS.some((kind) => parsed.rejected.has(kind))) return { diagnostics: sortDiagnostics(diagnostics) };
  const meshServices = mesh ? buildServices(mesh.value, mesh.source, report) : [];
  const services = joinServices(meshServices, buildKubeServices(parsed.resources, report, meshServices), report);
  checkNamesAcrossNamespaces(services, report);
  const istio = buildResources(parsed.resources, services);
  const serviceEntries = buildServiceEntries(parsed.resources, services, report).map((l) => l.item);
  const ctx: CheckContext = { ...istio, services, serviceEntries, report };
  checkVirtualServices(ctx);
  checkDestinationRules(ctx);
  checkGateways(ctx);
  checkPeerAuthentications(ctx);
  checkAuthorization(ctx);
  checkConflicts(ctx);
  const versionServices = buildVersionServices(parsed.resources, services, meshServices, report);
  const gatewayApi = translateGatewayApi(ctx, parsed.resources, versionServices);
  const canaries = checkCanaries(ctx, parsed.resources);
  const settings = mesh?.value.spec.settings ?? {};
  const outboundTrafficPolicy = operatorOutboundPolicy(parsed.resources, settings, report);
  if (options.analyze) analyze(ctx, parsed.resources);

  if (hasErrors(diagnostics)) return { diagnostics: sortDiagnostics(diagnostics) };
  const model: MeshModel = {
    name: mesh ? mesh.value.metadata.name : dirName(name),
    namespace: mesh ? meshNamespace(mesh.value) : DEFAULT_NAMESPACE,
    settings: outboundTrafficPolicy ? { ...settings, outboundTrafficPolicy } : settings,
    services,
    virtualServices: [...istio.virtualServices, ...gatewayApi.virtualServices].map((l) => l.item),
    destinationRules: istio.destinationRules.map((l) => l.item),
    gateways: [...istio.gateways, ...gatewayApi.gateways].map((l) => l.item),
    ...(versionServices.length > 0 ? { versionServices } : {}),
    ...(istio.peerAuthentications.length > 0 ? { peerAuthentications: istio.peerAuthentications.map((l) => l.item) } : {}),
    ...(istio.authorizationPolicies.length > 0 ? { authorizationPolicies: istio.authorizationPolicies.map((l) => l.item) } : {}),
    ...(istio.requestAuthentications.length > 0 ? { requestAuthentications: istio.requestAuthentications.map((l) => l.item) } : {}),
    canaries,
    ...(serviceEntries.length > 0 ? { serviceEntries, dir: where } : {}),
  };
  return { model, diagnostics: sortDiagnostics(diagnostics) };
}
