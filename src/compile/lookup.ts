// Indexes over a MeshModel, built once per model, so compiling stays linear in the mesh size.
import type { DestinationRuleModel, MeshModel, ServiceModel, VirtualServiceModel } from '../config/model.ts';
import { mergeDestinationRules, rulesByService } from '../config/destination-rule-merge.ts';
import { hostFqdn } from '../config/model.ts';
import { versionSubsetRules } from '../config/kubernetes/version-services.ts';
import { clientRules } from '../config/namespace-view.ts';

interface Index {
  services: Map<string, ServiceModel>;
  /** The first VirtualService bound to `mesh` by each host it names, as written and as resolved. */
  meshHosts: Map<string, VirtualServiceModel>;
  rules: Map<string, DestinationRuleModel>;
  meshRoutes: Map<string, VirtualServiceModel>;
}

const indexes = new WeakMap<MeshModel, Index>();

function index(model: MeshModel): Index {
  let found = indexes.get(model);
  if (!found) {
    const first = <T>(items: readonly T[], keys: (item: T) => readonly string[]) => {
      const map = new Map<string, T>();
      for (const item of items) for (const key of keys(item)) if (!map.has(key)) map.set(key, item);
      return map;
    };
    found = {
      services: first(model.services, (s) => [s.fqdn]),
      rules: new Map([...rulesByService([...oneNamespaceEach(model), ...versionSubsetRules(model.versionServices ?? [])])].map(([fqdn, rules]) => [fqdn, mergeDestinationRules(rules)!])),
      meshRoutes: first(model.virtualServices, (v) => (v.gateways.includes('mesh') ? v.services : [])),
      meshHosts: first(model.virtualServices, (v) => (v.gateways.includes('mesh') ? v.spec.hosts.flatMap((h) => [h, hostFqdn(h, v.namespace)]) : [])),
    };
    indexes.set(model, found);
  }
  return found;
}

/**
 * The rules of each host from one namespace: a sidecar's view has no others (namespace-view.ts);
 * the full model (gateway proxies') takes them as a client without rules of its own would.
 */
function oneNamespaceEach(model: MeshModel): DestinationRuleModel[] {
  const picked = new Set<DestinationRuleModel>();
  for (const [host, rules] of rulesByService(model.destinationRules)) {
    for (const r of new Set(rules.map((x) => x.namespace)).size > 1 ? clientRules(model, host, rules) : rules) picked.add(r);
  }
  return model.destinationRules.filter((r) => picked.has(r));
}

/** The service a host names (short names relative to `namespace`), as `resolveHost` does. */
export function serviceFor(model: MeshModel, host: string, namespace: string): ServiceModel | undefined {
  return index(model).services.get(hostFqdn(host, namespace));
}

/** The DestinationRule of a service: its rules merged as Istio merges them (file order is precedence). */
export function destinationRuleFor(model: MeshModel, fqdn: string): DestinationRuleModel | undefined {
  return index(model).rules.get(fqdn);
}

/** The VirtualService routing a service inside the mesh: the first bound to `mesh`. */
export function meshVirtualService(model: MeshModel, service: ServiceModel): VirtualServiceModel | undefined {
  return index(model).meshRoutes.get(service.fqdn);
}

/** The VirtualService routing a ServiceEntry host inside the mesh: the first bound to `mesh` naming it. */
export function externalVirtualService(model: MeshModel, host: string): VirtualServiceModel | undefined {
  return index(model).meshHosts.get(host);
}
