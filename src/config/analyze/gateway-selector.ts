// IST0101 ReferencedResourceNotFound for a Gateway's selector: it selects no pod of the mesh —
// neither the ingress gateway (istio=ingressgateway, app=istio-ingressgateway) nor a service's
// version. Istio reports it as an error; localmesh's one gateway serves every Gateway whatever its
// selector, so here it is a warning: in a cluster, no proxy would serve it.
import type { CheckContext } from '../context.ts';
import { keyAt } from '../position.ts';
import { IST } from './codes.ts';
import { INGRESS_GATEWAY_LABELS, selectorText, selects, workloadLabels } from './workloads.ts';

export function analyzeGatewaySelectors(ctx: CheckContext): void {
  const pods = workloadLabels(ctx.services);
  for (const { item: gateway, source } of ctx.gateways) {
    const selector = gateway.spec.selector ?? {};
    if (Object.keys(selector).length === 0 || pods.some((labels) => selects(selector, labels))) continue;
    ctx.report('warning', keyAt(source, ['spec', 'selector', Object.keys(selector)[0]!]), `Referenced selector not found: "${selectorText(selector)}"`,
      `no pod of the mesh has these labels; Istio's ingress gateway is selected by ${selectorText({ istio: INGRESS_GATEWAY_LABELS.istio! })} (localmesh's gateway serves this Gateway anyway)`,
      IST.ReferencedResourceNotFound);
  }
}
