// IST0101 ReferencedResourceNotFound for a Gateway's selector: it selects no pod of the mesh —
// neither Istio's ingress or egress gateway (istio=ingressgateway, istio=egressgateway) nor a
// service's version. Istio reports it as an error; localmesh runs a gateway proxy of its own for
// every selector (config/gateway-proxies.ts), so here it is a warning: in a cluster, no proxy
// would serve it unless one is deployed with these labels.
import type { CheckContext } from '../context.ts';
import { keyAt } from '../position.ts';
import { gatewayProxies, gatewayProxyOf } from '../gateway-proxies.ts';
import { IST } from './codes.ts';
import { INGRESS_GATEWAY_LABELS, selectorText, selects, workloadLabels } from './workloads.ts';

export function analyzeGatewaySelectors(ctx: CheckContext): void {
  const pods = workloadLabels(ctx.services);
  const proxies = gatewayProxies(ctx.gateways.map((g) => g.item));
  for (const { item: gateway, source } of ctx.gateways) {
    const selector = gateway.spec.selector ?? {};
    if (Object.keys(selector).length === 0 || pods.some((labels) => selects(selector, labels))) continue;
    ctx.report('warning', keyAt(source, ['spec', 'selector', Object.keys(selector)[0]!]), `Referenced selector not found: "${selectorText(selector)}"`,
      `no pod of the mesh has these labels; Istio's ingress gateway is selected by ${selectorText({ istio: INGRESS_GATEWAY_LABELS.istio! })} (localmesh runs a gateway proxy of its own for it, ${gatewayProxyOf(proxies, gateway.key)?.proxy})`,
      IST.ReferencedResourceNotFound);
  }
}
