// What the sidecars of one namespace see of the mesh, as Istio's sidecar scoping decides it
// (pilot/pkg/model push_context.go): the VirtualServices and ServiceEntries exported to that
// namespace (`exportTo`, default every namespace; `.` is the resource's own), the VirtualServices
// of the namespace itself first; and for each host the DestinationRules of the first namespace
// that has some for it among: the client's own (always visible there), the host's (those exported
// to the client), the root namespace istio-system (likewise). A rule in any other namespace does
// not apply to the client, as in Istio.
import { rulesByService } from './destination-rule-merge.ts';
import { exportScope, isExportedTo } from './export-to.ts';
import type { DestinationRuleModel, MeshModel } from './model.ts';
import { ROOT_NAMESPACE } from './mtls.ts';

const views = new WeakMap<MeshModel, Map<string, MeshModel>>();

/** The mesh as sidecars in `namespace` see it: `model` itself when they see all of it in its order. */
export function namespaceView(model: MeshModel, namespace: string): MeshModel {
  let byNamespace = views.get(model);
  if (!byNamespace) views.set(model, (byNamespace = new Map()));
  let view = byNamespace.get(namespace);
  if (!view) byNamespace.set(namespace, (view = buildView(model, namespace)));
  return view;
}

/** Whether a VirtualService, DestinationRule or ServiceEntry is exported to `namespace` (its own included only by `.` or its name). */
export function exportedTo(resource: { namespace: string; spec: { exportTo?: string[] | undefined } }, namespace: string): boolean {
  return isExportedTo(exportScope(resource.spec.exportTo, resource.namespace), namespace);
}

function buildView(model: MeshModel, namespace: string): MeshModel {
  const exported = (r: { namespace: string; spec: { exportTo?: string[] | undefined } }) => exportedTo(r, namespace);
  const visible = model.virtualServices.filter(exported);
  const virtualServices = [...visible.filter((v) => v.namespace === namespace), ...visible.filter((v) => v.namespace !== namespace)];
  const serviceEntries = model.serviceEntries?.filter(exported);
  const destinationRules = visibleRules(model, namespace);
  const same = <T>(a: readonly T[] | undefined, b: readonly T[] | undefined) => a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]));
  if (same(virtualServices, model.virtualServices) && same(serviceEntries, model.serviceEntries) && same(destinationRules, model.destinationRules)) return model;
  const { serviceEntries: _all, ...rest } = model;
  return { ...rest, virtualServices, destinationRules, ...(serviceEntries && serviceEntries.length > 0 ? { serviceEntries } : {}) };
}

/** The namespace a host belongs to: its service's, or the namespace of the ServiceEntry declaring it. */
function hostNamespace(model: MeshModel, host: string): string | undefined {
  return model.services.find((s) => s.fqdn === host)?.namespace ?? model.serviceEntries?.find((e) => e.hosts.includes(host))?.namespace;
}

function visibleRules(model: MeshModel, namespace: string): DestinationRuleModel[] {
  const chosen = new Set<DestinationRuleModel>();
  for (const [host, rules] of rulesByService(model.destinationRules)) for (const r of clientRules(model, host, rules, namespace)) chosen.add(r);
  return model.destinationRules.filter((r) => chosen.has(r));
}

/**
 * Of the rules for one host, those of the one namespace a client takes them from: its own, else
 * the host's (exported to it), else the root namespace's (likewise). Without a client namespace
 * (a gateway proxy, which localmesh does not scope), the host's, else the root's, else the first
 * rule's namespace.
 */
export function clientRules(model: MeshModel, host: string, rules: readonly DestinationRuleModel[], client?: string): DestinationRuleModel[] {
  const from = (ns: string | undefined) =>
    rules.filter((r) => r.namespace === ns && (client === undefined || ns === client || isExportedTo(exportScope(r.spec.exportTo, r.namespace), client)));
  const order = client === undefined ? [hostNamespace(model, host), ROOT_NAMESPACE, rules[0]?.namespace] : [client, hostNamespace(model, host), ROOT_NAMESPACE];
  for (const ns of order) {
    const found = from(ns);
    if (found.length > 0) return found;
  }
  return [];
}
