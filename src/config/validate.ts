// Parsed documents → the MeshModel, or the diagnostics that say why not. The model is returned
// only when there is no error; warnings (fields accepted but not applied, ...) come with it.
import { hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import { checkConflicts } from './conflicts.ts';
import type { CheckContext } from './context.ts';
import { checkDestinationRules } from './destination-rules.ts';
import { checkFields } from './fields.ts';
import { checkGateways } from './gateways.ts';
import { KINDS, parseKinds, type ParsedResource } from './kinds.ts';
import type { SourceDocument } from './load.ts';
import type { MeshModel } from './model.ts';
import { valueAt } from './position.ts';
import { collector, formatRef, type Report } from './report.ts';
import { buildResources } from './resources.ts';
import { buildServices, meshNamespace } from './services.ts';
import { MESH_API_VERSION } from './schema/mesh.ts';
import { checkVirtualServices } from './virtual-services.ts';

export interface ValidationResult {
  model?: MeshModel;
  diagnostics: Diagnostic[];
}

const MINIMAL_MESH = `apiVersion: ${MESH_API_VERSION}
kind: Mesh
metadata: {name: dev}
spec:
  services:
    web: {ports: [{port: 8080}], versions: {v1: {image: web:latest}}}`;

/** The single Mesh document of a directory, or undefined after reporting why not. */
function theMesh(documents: readonly SourceDocument[], resources: readonly ParsedResource[], report: Report, where: string) {
  const meshes = resources.filter((r) => r.kind === 'Mesh');
  // A Mesh with schema errors has been reported already.
  const written = documents.some((d) => (d.value as { kind?: unknown }).kind === 'Mesh');
  if (meshes.length === 0 && !written) {
    report('error', { file: where, line: 0, col: 0 }, 'no Mesh document: a mesh directory declares its services in exactly one Mesh',
      `add a file such as mesh.yaml:\n${MINIMAL_MESH}`);
    return undefined;
  }
  const first = meshes[0];
  if (!first) return undefined;
  for (const extra of meshes.slice(1)) {
    report('error', valueAt(extra.source, ['kind']), 'a mesh directory holds exactly one Mesh document; this is a second one',
      `the first is at ${formatRef(valueAt(first.source, ['kind']))}; merge the services into it`);
  }
  return first.kind === 'Mesh' ? first : undefined;
}

/** `where` names the whole set (the directory) in a diagnostic that has no place in one file. */
export function validate(documents: readonly SourceDocument[], where: string): ValidationResult {
  const parsed = parseKinds(documents);
  const { diagnostics, report } = collector();
  diagnostics.push(...parsed.diagnostics);

  const mesh = theMesh(documents, parsed.resources, report, where);
  for (const r of parsed.resources) checkFields(r.kind, KINDS[r.kind].schema, r.source, r.value, report);
  // Without the services, every reference would be reported as unknown: check references only with a Mesh.
  if (!mesh) return { diagnostics: sortDiagnostics(diagnostics) };
  const services = buildServices(mesh.value, mesh.source, report);
  const istio = buildResources(parsed.resources, services);
  const ctx: CheckContext = { ...istio, services, report };
  checkVirtualServices(ctx);
  checkDestinationRules(ctx);
  checkGateways(ctx);
  checkConflicts(ctx);

  if (hasErrors(diagnostics)) return { diagnostics: sortDiagnostics(diagnostics) };
  const model: MeshModel = {
    name: mesh.value.metadata.name,
    namespace: meshNamespace(mesh.value),
    settings: mesh.value.spec.settings ?? {},
    services,
    virtualServices: istio.virtualServices.map((l) => l.item),
    destinationRules: istio.destinationRules.map((l) => l.item),
    gateways: istio.gateways.map((l) => l.item),
    mesh: mesh.value,
  };
  return { model, diagnostics: sortDiagnostics(diagnostics) };
}
