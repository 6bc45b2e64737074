// compileMesh: the validated mesh and where things listen → Envoy resources for every proxy.
// Pure and deterministic. Translation is the list of proxy kinds below, each a generator per
// resource type (generator.ts). Resources equal for several proxies are built once and shared as
// the same object (every sidecar shares the outbound clusters and, without sourceLabels, the
// routes), and every distinct resource object is checked against Envoy's protos once.
import type { MeshModel } from '../config/model.ts';
import type { FieldPatterns } from '../config/not-applied.ts';
import { checkResource, EnvoyConfigError } from '../envoy/proto.ts';
import { RESOURCE_KINDS, type ProxySnapshot, type Resource, type ResourceKind } from '../envoy/snapshot.ts';
import type { Addressing } from './addressing.ts';
import { APPLIED_BY_CLUSTERS, byName, outboundClusters, type ClusterSet } from './clusters.ts';
import { APPLIED_BY_EXTERNAL, withExternalClusters } from './external.ts';
import { gatewayServiceClusters } from './gateway-services.ts';
import { APPLIED_BY_GATEWAY, GATEWAY } from './gateway.ts';
import { shared, type CompileInput, type ProxyIdentity, type ProxyKind } from './generator.ts';
import { namespaceView } from '../config/namespace-view.ts';
import { APPLIED_BY_LISTENERS } from './listeners.ts';
import { APPLIED_BY_POLICY } from './policy.ts';
import { APPLIED_BY_ROUTES } from './routes.ts';
import { APPLIED_BY_SIDECARS, SIDECAR } from './sidecar.ts';
import { withSampling } from './tracing.ts';
import { CompileMemo } from './memo.ts';

export type { ProxySnapshot, Resource } from '../envoy/snapshot.ts';
export { CompileMemo } from './memo.ts';

/** Every proxy kind, each with a generator per resource type. */
const PROXY_KINDS = [translation(SIDECAR), translation(GATEWAY)];

/** Every Istio field the compiler applies, as each part declares it beside its code. */
export const APPLIED_FIELDS: readonly FieldPatterns[] = [
  APPLIED_BY_SIDECARS,
  APPLIED_BY_GATEWAY,
  APPLIED_BY_ROUTES,
  APPLIED_BY_LISTENERS,
  APPLIED_BY_CLUSTERS,
  APPLIED_BY_POLICY,
  APPLIED_BY_EXTERNAL,
];

export interface CompiledMesh {
  /** Sorted by proxy id. */
  snapshots: ProxySnapshot[];
}

/**
 * Throws EnvoyConfigError (naming the resource) when a resource is one Envoy would refuse. With a
 * `memo` kept from the last compile (the control plane's reloads), the pieces that what changed
 * does not feed are the last compile's objects (memo.ts); the result is the same either way.
 */
export function compileMesh(model: MeshModel, addressing: Addressing, memo?: CompileMemo): CompiledMesh {
  if (memo) memo.begin(model, addressing);
  const kept = memo ?? new CompileMemo();
  const input = compileInput(model, addressing, kept);
  const sampling = model.settings.tracing?.sampling;
  const snapshots = withSampling(PROXY_KINDS.flatMap((translate) => translate(input)), sampling, kept.keep(`sampled ${sampling}`, () => new WeakMap()));
  const { checked } = kept;
  for (const snapshot of snapshots) {
    for (const kind of RESOURCE_KINDS) {
      const list = snapshot[kind];
      if (checked.has(list)) continue;
      for (const resource of list) {
        if (checked.has(resource)) continue;
        try {
          checkResource(kind, resource.value);
        } catch (error) {
          if (error instanceof EnvoyConfigError) error.resource = `${kind} ${resource.name} of proxy ${snapshot.proxy}`;
          throw error;
        }
        checked.add(resource);
      }
      checked.add(list);
    }
  }
  snapshots.sort((a, b) => (a.proxy < b.proxy ? -1 : a.proxy > b.proxy ? 1 : 0));
  return { snapshots };
}

/** The outbound clusters of a model, and the input of each namespace's view of it, made on first use. */
function compileInput(model: MeshModel, addressing: Addressing, memo: CompileMemo, namespace?: string): CompileInput {
  // The clusters read no VirtualService: the mesh's (or a namespace's view's) are kept while the rest is the same.
  const outbound = memo.keep(namespace === undefined ? 'outbound' : `outbound ${namespace}`, () =>
    withGatewayServices(withExternalClusters(model, addressing, outboundClusters(model, addressing)), model, addressing));
  const views = new Map<string, CompileInput>();
  const input: CompileInput = {
    model,
    addressing,
    outbound,
    memo,
    inNamespace(namespace) {
      const view = namespaceView(model, namespace);
      return view === model ? input : shared(views, namespace, () => compileInput(view, addressing, memo, namespace));
    },
  };
  return input;
}

/** The outbound clusters with those of the gateway proxies' in-mesh Services (none without such a gateway: the same set). */
function withGatewayServices(outbound: ClusterSet, model: MeshModel, addressing: Addressing): ClusterSet {
  const gateways = gatewayServiceClusters(model, addressing);
  if (gateways.clusters.length === 0) return outbound;
  return { clusters: [...outbound.clusters, ...gateways.clusters].sort(byName), endpoints: [...outbound.endpoints, ...gateways.endpoints].sort(byName) };
}

/** A proxy kind as one step of the compile: a snapshot per proxy, its resource types generated in order, proxy by proxy. */
function translation<P extends { id: ProxyIdentity }>(kind: ProxyKind<P>): (input: CompileInput) => ProxySnapshot[] {
  return (input) => {
    const generate = kind.generators(input);
    return kind.proxies(input).map((proxy) => {
      const resources = {} as Record<ResourceKind, Resource[]>;
      for (const type of RESOURCE_KINDS) resources[type] = generate[type](proxy);
      const { proxy: id, ...names } = proxy.id;
      return { proxy: id, kind: kind.kind, ...names, ...resources };
    });
  };
}
