// Explaining a host that names no service of the mesh: what it resolved to and what was meant.
import { hostFqdn, type ServiceModel } from './model.ts';
import { didYouMean } from './suggest.ts';

/** The service a host written with a dot but not in full probably means (`reviews.default`). */
export function meantByDottedHost(host: string, services: readonly ServiceModel[]): ServiceModel | undefined {
  return host.includes('.') ? services.find((s) => s.fqdn.startsWith(`${host}.`)) : undefined;
}

/** `'HOST' is not a service of the mesh…` for `what` ('destination host', 'DestinationRule host'), and a hint. */
export function unknownHost(what: string, host: string, namespace: string, services: readonly ServiceModel[]) {
  const full = hostFqdn(host, namespace);
  const names = services.map((s) => s.name);
  if (full === host) {
    // Written with a dot, so taken as fully qualified: `reviews.default` names no service.
    const meant = meantByDottedHost(host, services);
    if (meant) {
      return {
        message: `${what} '${host}' is not a service of the mesh; did you mean ${meant.fqdn}?`,
        hint: `Istio expands only a single-label host (${meant.name}, in the namespace of the resource naming it); a host with a dot is taken as fully qualified: write ${meant.name} or ${meant.fqdn}`,
      };
    }
    return { message: `${what} '${host}' is not a service of the mesh`, hint: `services of the mesh: ${names.join(', ') || '(none)'}` };
  }
  const sameName = services.find((s) => s.name === host);
  if (sameName) {
    return {
      message: `${what} '${host}' means ${full}, which is not a service of the mesh; did you mean ${sameName.fqdn}?`,
      hint: `a short host is read in the namespace of the resource naming it; ${sameName.name} is in namespace ${sameName.namespace}`,
    };
  }
  return {
    message: `${what} '${host}' is not a service of the mesh${didYouMean(host, names)}`,
    hint: `services of the mesh: ${names.join(', ') || '(none)'} (declared in the Mesh document or by Kubernetes Services)`,
  };
}
