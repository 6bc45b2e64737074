// Explaining a host that names no service of the mesh: what it resolved to and what was meant.
import { CLUSTER_DOMAIN, fqdn, type ServiceModel } from './model.ts';
import { didYouMean } from './suggest.ts';

/** The fully qualified name Istio reads a host as, in the namespace of the resource naming it. */
function qualify(host: string, namespace: string): string {
  const parts = host.split('.');
  if (parts.length === 1) return fqdn(host, namespace);
  if (parts.length === 2) return fqdn(parts[0]!, parts[1]!);
  return host;
}

/** `'HOST' is not a service of the mesh…` for `what` ('destination host', 'DestinationRule host'), and a hint. */
export function unknownHost(what: string, host: string, namespace: string, services: readonly ServiceModel[]) {
  const full = qualify(host, namespace);
  const sameName = services.find((s) => s.name === full.split('.')[0]);
  const names = services.map((s) => s.name);
  const message = sameName
    ? `${what} '${host}' means ${full}, which is not a service of the mesh; did you mean ${sameName.name}.${sameName.namespace}?`
    : `${what} '${host}' is not a service of the mesh${didYouMean(host.split('.')[0]!, names)}`;
  const hint = sameName
    ? `a short host is read in the namespace of the resource naming it; ${sameName.name} is in namespace ${sameName.namespace} (${sameName.name}.${sameName.namespace}.${CLUSTER_DOMAIN})`
    : `services of the mesh: ${names.join(', ') || '(none)'} (declared in the Mesh document)`;
  return { message, hint };
}
