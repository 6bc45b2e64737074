// The pods a Gateway selector can select in the mesh: every version of every service (its labels
// after defaults) and localmesh's ingress and egress gateways, labelled as Istio's default install
// labels its gateway pods.
import type { ServiceModel } from '../model.ts';

export const INGRESS_GATEWAY_LABELS: Readonly<Record<string, string>> = { app: 'istio-ingressgateway', istio: 'ingressgateway' };
/** Istio's egress gateway pods (its demo profile installs one); localmesh runs one when a Gateway selects it. */
export const EGRESS_GATEWAY_LABELS: Readonly<Record<string, string>> = { app: 'istio-egressgateway', istio: 'egressgateway' };

export function workloadLabels(services: readonly ServiceModel[]): Array<Readonly<Record<string, string>>> {
  return [INGRESS_GATEWAY_LABELS, EGRESS_GATEWAY_LABELS, ...services.flatMap((s) => s.versions.map((v) => v.labels))];
}

export function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** As Kubernetes prints a selector: `k=v,k2=v2`, keys sorted. */
export function selectorText(selector: Readonly<Record<string, string>>): string {
  return Object.keys(selector).sort().map((k) => `${k}=${selector[k]}`).join(',');
}
