// The in-mesh Services of gateway proxies, as Istio installs them (`istio-egressgateway` in
// istio-system for the `istio: egressgateway` selector): a cluster `outbound|PORT|SUBSET|HOST` per
// port its Gateways serve and DestinationRule subset (a gateway has one instance: every subset is
// it), whose endpoint is the gateway proxy's listener. This is the hop from a sidecar to the egress
// gateway in Istio's egress gateway task (a mesh route to istio-egressgateway, subset cnn).
import { gatewayProxies, gatewayService } from '../config/gateway-proxies.ts';
import type { MeshModel } from '../config/model.ts';
import { outboundCluster } from '../config/names.ts';
import type { Addressing } from './addressing.ts';
import { byName, endpointCluster, policyFields, type ClusterSet } from './clusters.ts';
import { destinationRuleFor } from './lookup.ts';
import { trafficPolicy } from './policy.ts';
import { istioSni, upstreamMtls } from './tls.ts';

export function gatewayServiceClusters(model: MeshModel, addressing: Addressing): ClusterSet {
  const out: ClusterSet = { clusters: [], endpoints: [] };
  for (const { host } of gatewayProxies(model.gateways)) {
    if (host === undefined) continue;
    const { proxy, ports } = gatewayService(model.gateways, host)!;
    const rule = destinationRuleFor(model, host);
    for (const port of ports) {
      for (const subset of [undefined, ...(rule?.spec.subsets ?? [])]) {
        const name = outboundCluster(port, subset?.name, host);
        const { cluster, endpoints } = endpointCluster(name, [addressing.gatewayEndpoint(proxy.proxy, port)]);
        const policy = trafficPolicy(rule, port, subset?.name);
        // ISTIO_MUTUAL (Istio's egress task with mTLS to the gateway, whose server is ISTIO_MUTUAL): the mesh's certificates, SNI as given.
        const tls = policy?.tls?.mode === 'ISTIO_MUTUAL' ? { transport_socket: upstreamMtls(policy.tls.sni ?? istioSni(port, subset?.name, host)) } : {};
        // Plain connections (HTTP/1.1 from an HTTP route, or the bytes of a TCP or TLS one), as to a TCP port.
        out.clusters.push({ name, value: { ...cluster, ...policyFields(policy, 'tcp'), ...tls } });
        if (endpoints) out.endpoints.push({ name, value: endpoints });
      }
    }
  }
  out.clusters.sort(byName);
  out.endpoints.sort(byName);
  return out;
}
