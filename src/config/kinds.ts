// Which document is which: dispatch on apiVersion and kind, then check the document against the
// kind's schema. Unknown, misspelt and not-yet-supported kinds are reported here.
import type { z } from 'zod';
import type { Diagnostic, Severity } from './diagnostics.ts';
import type { SourceRef } from './model.ts';
import { collector, type Report } from './report.ts';
import type { SourceDocument } from './load.ts';
import { keyAt, valueAt, documentAt } from './position.ts';
import { schemaDiagnostics } from './schema-errors.ts';
import { DestinationRule, Gateway, ISTIO_API_VERSIONS, VirtualService } from './schema/istio.ts';
import { MESH_API_VERSION, Mesh } from './schema/mesh.ts';
import { Canary } from './schema/canary.ts';
import { ServiceEntry, WorkloadEntry } from './schema/service-entry.ts';
import { ISTIO_OPERATOR_API_VERSION, IstioOperator } from './schema/istio-operator.ts';
import { PeerAuthentication, SECURITY_API_VERSIONS } from './schema/security.ts';
import { AuthorizationPolicy, RequestAuthentication } from './schema/authorization.ts';
import type { Deployment, KubeService, StatefulSet } from './schema/kubernetes.ts';
import { changesNoTraffic, KUBE_KINDS, UNSUPPORTED_KUBE_KINDS } from './kubernetes/kinds.ts';
import { GATEWAY_API_KINDS, gatewayApiKind, UNSUPPORTED_GATEWAY_API_KINDS } from './gateway-api/kinds.ts';
import type { HTTPRouteKind, KubeGateway } from './schema/gateway-api.ts';
import { expandLists } from './kubernetes/list.ts';
import { nearest } from './suggest.ts';
import { IST } from './analyze/codes.ts';

export const KINDS = {
  Mesh: { apiVersions: [MESH_API_VERSION], schema: Mesh },
  VirtualService: { apiVersions: ISTIO_API_VERSIONS, schema: VirtualService },
  DestinationRule: { apiVersions: ISTIO_API_VERSIONS, schema: DestinationRule },
  Gateway: { apiVersions: ISTIO_API_VERSIONS, schema: Gateway },
  ServiceEntry: { apiVersions: ISTIO_API_VERSIONS, schema: ServiceEntry },
  WorkloadEntry: { apiVersions: ISTIO_API_VERSIONS, schema: WorkloadEntry },
  IstioOperator: { apiVersions: [ISTIO_OPERATOR_API_VERSION], schema: IstioOperator },
  PeerAuthentication: { apiVersions: SECURITY_API_VERSIONS, schema: PeerAuthentication },
  AuthorizationPolicy: { apiVersions: SECURITY_API_VERSIONS, schema: AuthorizationPolicy },
  RequestAuthentication: { apiVersions: SECURITY_API_VERSIONS, schema: RequestAuthentication },
  ...KUBE_KINDS,
  ...GATEWAY_API_KINDS,
  Canary: { apiVersions: [MESH_API_VERSION], schema: Canary },
} as const;

export type KindName = keyof typeof KINDS;

/**
 * Istio kinds localmesh does not implement yet. Kinds that decide who may talk to whom or where
 * traffic goes are errors: running the mesh while silently ignoring a Sidecar or an EnvoyFilter
 * would make it behave unlike the cluster in exactly the way the user is testing.
 * Kinds that only tune telemetry or proxy settings are warnings: traffic is the same without them.
 */
export const UNSUPPORTED_KINDS: Record<string, Severity> = {
  Sidecar: 'error',
  EnvoyFilter: 'error',
  WorkloadGroup: 'error',
  WasmPlugin: 'error',
  Telemetry: 'warning',
  ProxyConfig: 'warning',
  ...Object.fromEntries([...UNSUPPORTED_KUBE_KINDS, ...UNSUPPORTED_GATEWAY_API_KINDS].map((kind) => [kind, 'error' as const])),
};

export type ParsedResource =
  | { kind: 'Mesh'; source: SourceDocument; value: z.infer<typeof Mesh> }
  | { kind: 'VirtualService'; source: SourceDocument; value: z.infer<typeof VirtualService> }
  | { kind: 'DestinationRule'; source: SourceDocument; value: z.infer<typeof DestinationRule> }
  | { kind: 'Gateway'; source: SourceDocument; value: z.infer<typeof Gateway> }
  | { kind: 'ServiceEntry'; source: SourceDocument; value: z.infer<typeof ServiceEntry> }
  | { kind: 'WorkloadEntry'; source: SourceDocument; value: z.infer<typeof WorkloadEntry> }
  | { kind: 'IstioOperator'; source: SourceDocument; value: z.infer<typeof IstioOperator> }
  | { kind: 'PeerAuthentication'; source: SourceDocument; value: z.infer<typeof PeerAuthentication> }
  | { kind: 'AuthorizationPolicy'; source: SourceDocument; value: z.infer<typeof AuthorizationPolicy> }
  | { kind: 'RequestAuthentication'; source: SourceDocument; value: z.infer<typeof RequestAuthentication> }
  | { kind: 'Canary'; source: SourceDocument; value: z.infer<typeof Canary> }
  | { kind: 'Service'; source: SourceDocument; value: z.infer<typeof KubeService> }
  | { kind: 'Deployment'; source: SourceDocument; value: z.infer<typeof Deployment> }
  | { kind: 'StatefulSet'; source: SourceDocument; value: z.infer<typeof StatefulSet> }
  | { kind: 'KubeGateway'; source: SourceDocument; value: KubeGateway }
  | { kind: 'HTTPRoute'; source: SourceDocument; value: HTTPRouteKind };

export interface ParsedKinds {
  resources: ParsedResource[];
  diagnostics: Diagnostic[];
  /** The kinds of the documents read, and those of the documents left out for an error. */
  written: Set<string>;
  rejected: Set<string>;
}

function isKind(kind: string): kind is KindName {
  return Object.hasOwn(KINDS, kind);
}

/** How a kind is named to users: the Gateway API's Gateway by its group. */
const kindLabel = (kind: string) => (kind === 'KubeGateway' ? 'Gateway (gateway.networking.k8s.io)' : kind);
const SUPPORTED_LIST = Object.keys(KINDS).map(kindLabel).join(', ');

/** Documents of kinds that do not change traffic, by file: reported once per file. */
type NotApplied = Map<string, { at: SourceRef; byKind: Map<string, string[]> }>;

function noteNotApplied(notApplied: NotApplied, source: SourceDocument, kind: string, name: unknown): void {
  let file = notApplied.get(source.file);
  if (!file) notApplied.set(source.file, (file = { at: valueAt(source, ['kind']), byKind: new Map() }));
  const names = file.byKind.get(kind) ?? [];
  file.byKind.set(kind, [...names, typeof name === 'string' ? name : '(unnamed)']);
}

const MAX_NAMES = 3;

function reportNotApplied(notApplied: NotApplied, report: Report): void {
  for (const { at, byKind } of notApplied.values()) {
    const kinds = [...byKind].map(([kind, names]) => {
      const shown = names.length > MAX_NAMES + 1 ? `${names.slice(0, MAX_NAMES).join(', ')} and ${names.length - MAX_NAMES} more` : names.join(', ');
      return `${kind} ${shown}`;
    });
    report('warning', at, `read but not applied, as they do not change traffic here: ${kinds.join('; ')}`);
  }
}

/** Identify each document and check it against its kind's schema. */
export function parseKinds(documents: readonly SourceDocument[]): ParsedKinds {
  const resources: ParsedResource[] = [];
  const { diagnostics, report } = collector();
  const notApplied: NotApplied = new Map();
  const written = new Set<string>();
  const rejected = new Set<string>();

  for (const source of expandLists(documents, report)) {
    const doc = source.value as Record<string, unknown>;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      report('error', documentAt(source), 'a document must be a mapping with apiVersion, kind, metadata and spec');
      continue;
    }
    const { apiVersion } = doc;
    // A Gateway API kind has the name of an Istio one (Gateway): its group tells them apart.
    const kind = gatewayApiKind(doc.kind, apiVersion);
    if (typeof kind !== 'string') {
      report('error', documentAt(source), 'this document has no kind', `localmesh reads ${SUPPORTED_LIST}`);
      continue;
    }
    written.add(kind);
    if (changesNoTraffic(kind, doc)) {
      noteNotApplied(notApplied, source, kind, (doc.metadata as { name?: unknown } | undefined)?.name);
      continue;
    }
    if (Object.hasOwn(UNSUPPORTED_KINDS, kind)) {
      report(UNSUPPORTED_KINDS[kind]!, valueAt(source, ['kind']), `${kind} is not supported yet by localmesh`,
        UNSUPPORTED_KINDS[kind] === 'error' ? 'remove it from the mesh directory, or move it to a subdirectory starting with a dot' : 'it is ignored');
      continue;
    }
    if (!isKind(kind)) {
      const guess = nearest(kind, Object.keys(KINDS).filter((k) => k !== 'KubeGateway'));
      report('error', valueAt(source, ['kind']),
        `unknown kind '${kind}'${guess ? `; did you mean ${guess}?` : ''}`, `localmesh reads ${SUPPORTED_LIST}`);
      continue;
    }
    const { apiVersions, schema } = KINDS[kind];
    if (!(apiVersions as readonly unknown[]).includes(apiVersion)) {
      rejected.add(kind);
      const accepted = apiVersions.join(', ');
      const name = kindLabel(kind);
      report('error', apiVersion === undefined ? keyAt(source, ['kind']) : valueAt(source, ['apiVersion']),
        apiVersion === undefined
          ? `${name} needs an apiVersion`
          : `apiVersion '${String(apiVersion)}' is not valid for ${name}`,
        `${name} accepts apiVersion ${accepted}${kind === 'Gateway' ? `; a Gateway API Gateway is read with apiVersion ${GATEWAY_API_KINDS.KubeGateway.apiVersions.join(', ')}` : ''}`);
      continue;
    }
    const result = schema.safeParse(doc);
    if (!result.success) {
      rejected.add(kind);
      // Istio's analyzer validates its own kinds' schemas (IST0106); localmesh's and Kubernetes' kinds are not its.
      const istio = (ISTIO_API_VERSIONS as readonly unknown[]).includes(apiVersion);
      diagnostics.push(...schemaDiagnostics(source, kind, schema, result.error.issues).map((d) => (istio ? { ...d, code: IST.SchemaValidationError } : d)));
      continue;
    }
    resources.push({ kind, source, value: result.data } as ParsedResource);
  }
  reportNotApplied(notApplied, report);
  // Every error here leaves its document out of the mesh: a cause of what the later checks find.
  return { resources, written, rejected, diagnostics: diagnostics.map((d): Diagnostic => (d.severity === 'error' ? { ...d, rejectsDocument: true } : d)) };
}
