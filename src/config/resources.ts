// Istio documents → the model's resources, with names resolved the way Istio resolves them:
// namespaces default to `default`, `gateways` to ['mesh'], hosts to service fqdns.
import type { ParsedResource } from './kinds.ts';
import type { SourceDocument } from './load.ts';
import {
  DEFAULT_NAMESPACE,
  resolveHost,
  type DestinationRuleModel,
  type PeerAuthenticationModel,
  type AuthorizationPolicyModel,
  type RequestAuthenticationModel,
  type GatewayModel,
  type ServiceModel,
  type VirtualServiceModel,
} from './model.ts';
import { valueAt } from './position.ts';

/** A resource of the model and the document it came from, for pointing at its fields. */
export interface Located<T> {
  item: T;
  source: SourceDocument;
}

export const MESH_GATEWAY = 'mesh';

/** `mesh`, or the `NAMESPACE/NAME` key of the Gateway an entry of `gateways` names. */
export function gatewayKey(entry: string, namespace: string): string {
  if (entry === MESH_GATEWAY) return entry;
  return entry.includes('/') ? entry : `${namespace}/${entry}`;
}

function base(r: Exclude<ParsedResource, { kind: 'IstioOperator' }>) {
  const { metadata } = r.value;
  return {
    name: metadata.name,
    namespace: metadata.namespace ?? DEFAULT_NAMESPACE,
    source: valueAt(r.source, []),
  };
}

export interface IstioResources {
  virtualServices: Located<VirtualServiceModel>[];
  destinationRules: Located<DestinationRuleModel>[];
  gateways: Located<GatewayModel>[];
  peerAuthentications: Located<PeerAuthenticationModel>[];
  authorizationPolicies: Located<AuthorizationPolicyModel>[];
  requestAuthentications: Located<RequestAuthenticationModel>[];
}

export function buildResources(resources: readonly ParsedResource[], services: readonly ServiceModel[]): IstioResources {
  const out: IstioResources = { virtualServices: [], destinationRules: [], gateways: [], peerAuthentications: [], authorizationPolicies: [], requestAuthentications: [] };
  for (const r of resources) {
    const source = r.source;
    if (r.kind === 'VirtualService') {
      const b = base(r);
      const spec = r.value.spec;
      const fqdns = spec.hosts.flatMap((h) => resolveHost(services, h, b.namespace)?.fqdn ?? []);
      out.virtualServices.push({
        source,
        item: {
          ...b,
          spec,
          services: [...new Set(fqdns)],
          gateways: (spec.gateways ?? [MESH_GATEWAY]).map((g) => gatewayKey(g, b.namespace)),
        },
      });
    } else if (r.kind === 'DestinationRule') {
      const b = base(r);
      const service = resolveHost(services, r.value.spec.host, b.namespace);
      out.destinationRules.push({ source, item: { ...b, spec: r.value.spec, service: service?.fqdn ?? r.value.spec.host } });
    } else if (r.kind === 'PeerAuthentication') {
      out.peerAuthentications.push({ source, item: { ...base(r), spec: r.value.spec } });
    } else if (r.kind === 'AuthorizationPolicy') {
      const dryRun = r.value.metadata.annotations?.['istio.io/dry-run'] === 'true';
      out.authorizationPolicies.push({ source, item: { ...base(r), spec: r.value.spec, ...(dryRun ? { dryRun: true as const } : {}) } });
    } else if (r.kind === 'RequestAuthentication') {
      out.requestAuthentications.push({ source, item: { ...base(r), spec: r.value.spec } });
    } else if (r.kind === 'Gateway') {
      const b = base(r);
      out.gateways.push({ source, item: { ...b, spec: r.value.spec, key: `${b.namespace}/${b.name}` } });
    }
  }
  return out;
}
