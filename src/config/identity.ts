// Workload identities as Istio forms them: `spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICEACCOUNT`.
// The service account is the pod template's `serviceAccountName` where Kubernetes manifests give
// one, else the service's own name (so `web` is `cluster.local/ns/default/sa/web`, the principal
// an AuthorizationPolicy names).
import type { ServiceModel, VersionModel } from './model.ts';

export const TRUST_DOMAIN = 'cluster.local';

/** The ingress gateway's service account (Istio's default installation), in the root namespace. */
export const GATEWAY_SERVICE_ACCOUNT = 'istio-ingressgateway-service-account';

/** The service account a version's workloads run as. */
export function serviceAccountOf(service: Pick<ServiceModel, 'name'>, version: Pick<VersionModel, 'serviceAccount'>): string {
  return version.serviceAccount ?? service.name;
}

/** Istio's principal form, without the scheme: `cluster.local/ns/NS/sa/SA`. */
export function principal(namespace: string, serviceAccount: string): string {
  return `${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The SPIFFE id in a workload certificate's URI SAN. */
export function spiffeId(namespace: string, serviceAccount: string): string {
  return `spiffe://${principal(namespace, serviceAccount)}`;
}
