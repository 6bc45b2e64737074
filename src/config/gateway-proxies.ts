// The gateway proxies of a mesh: one Envoy per distinct Gateway `selector`, as in a cluster each
// selector picks its own gateway deployment. Gateways without a selector, or with one that selects
// Istio's ingress gateway pods (istio=ingressgateway, app=istio-ingressgateway), are served by the
// ingress gateway, `mesh-gateway`; every other selector is a gateway proxy of its own, named after
// its label values (`istio: egressgateway` → `mesh-gateway-egressgateway`), with Istio's identity
// for it (`istio-egressgateway-service-account` in istio-system for an `istio: NAME` selector,
// else `NAME-service-account` in the namespace of its first Gateway). An egress gateway's ports
// are not published on the host: the sidecars reach it inside the mesh.
import { EGRESS_GATEWAY_LABELS, INGRESS_GATEWAY_LABELS, selects } from './analyze/workloads.ts';
import { GATEWAY_SERVICE_ACCOUNT } from './identity.ts';
import { fqdn, type GatewayModel } from './model.ts';
import { ROOT_NAMESPACE } from './mtls.ts';
import { GATEWAY_PROXY, gatewayProxyId } from './names.ts';

export interface GatewayProxyModel {
  /** Envoy node id, also its Compose service and process name. */
  proxy: string;
  /** The labels it stands for (the ingress gateway's: Istio's ingress labels). */
  labels: Readonly<Record<string, string>>;
  /** The `NAMESPACE/NAME` keys of the Gateways it serves, in model order. */
  gateways: string[];
  namespace: string;
  serviceAccount: string;
  /** Whether its ports are published on the host: not an egress gateway's, which sidecars reach inside the mesh. */
  published: boolean;
  /**
   * The Kubernetes Service in-mesh callers reach it by, as Istio installs it: `istio-NAME` in
   * istio-system for an `istio: NAME` selector (`istio-egressgateway.istio-system.svc.cluster.local`,
   * the destination of the egress gateway task's mesh route); none for the ingress gateway (whose
   * clusters every sidecar would otherwise gain) or another selector.
   */
  host?: string;
}


function servedByIngress(selector: Readonly<Record<string, string>> | undefined): boolean {
  return selector === undefined || Object.keys(selector).length === 0 || selects(selector, INGRESS_GATEWAY_LABELS);
}

const selectorKey = (selector: Readonly<Record<string, string>>) =>
  JSON.stringify(Object.keys(selector).sort().map((k) => [k, selector[k]]));

/**
 * Every gateway proxy: the ingress gateway first (always, as the mesh always ran one), then one per
 * other selector in the order of the first Gateway naming it.
 */
export function gatewayProxies(gateways: readonly GatewayModel[]): GatewayProxyModel[] {
  const ingress: GatewayProxyModel = {
    proxy: GATEWAY_PROXY,
    labels: INGRESS_GATEWAY_LABELS,
    gateways: [],
    namespace: ROOT_NAMESPACE,
    serviceAccount: GATEWAY_SERVICE_ACCOUNT,
    published: true,
  };
  const bySelector = new Map<string, GatewayProxyModel>();
  const taken = new Set([GATEWAY_PROXY]);
  for (const gateway of gateways) {
    const selector = gateway.spec.selector;
    if (servedByIngress(selector)) {
      ingress.gateways.push(gateway.key);
      continue;
    }
    const key = selectorKey(selector!);
    let proxy = bySelector.get(key);
    if (!proxy) {
      const values = Object.keys(selector!).sort().map((k) => selector![k]!);
      let id = gatewayProxyId(values);
      for (let n = 2; taken.has(id); n++) id = `${gatewayProxyId(values)}-${n}`;
      taken.add(id);
      const istio = selector!.istio;
      proxy = {
        proxy: id,
        labels: selector!,
        gateways: [],
        namespace: istio !== undefined ? ROOT_NAMESPACE : gateway.namespace,
        serviceAccount: istio !== undefined ? `istio-${istio}-service-account` : `${id.slice(GATEWAY_PROXY.length + 1)}-service-account`,
        published: !selects(selector!, EGRESS_GATEWAY_LABELS),
        ...(istio !== undefined ? { host: fqdn(`istio-${istio}`, ROOT_NAMESPACE) } : {}),
      };
      bySelector.set(key, proxy);
    }
    proxy.gateways.push(gateway.key);
  }
  return [ingress, ...bySelector.values()];
}

/** The gateway proxy that serves a Gateway (by its `NAMESPACE/NAME` key). */
export function gatewayProxyOf(proxies: readonly GatewayProxyModel[], gatewayKey: string): GatewayProxyModel | undefined {
  return proxies.find((p) => p.gateways.includes(gatewayKey));
}

/** The gateway proxy in-mesh callers reach by a host (its Service), and the ports its Gateways serve. */
export function gatewayService(gateways: readonly GatewayModel[], host: string): { proxy: GatewayProxyModel; ports: number[] } | undefined {
  const proxy = gatewayProxies(gateways).find((p) => p.host === host);
  if (!proxy) return undefined;
  const ports = new Set<number>();
  for (const g of gateways) if (proxy.gateways.includes(g.key)) for (const s of g.spec.servers) ports.add(s.port.number);
  return { proxy, ports: [...ports].sort((a, b) => a - b) };
}
