// Resource names only the compiler uses, Istio's where Istio has one, so `istioctl proxy-config`
// habits carry over. Cluster names, which other layers read back, are in src/config/names.ts.

/** Original-destination cluster for traffic to hosts outside the mesh (capture only). */
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

/** The sidecar's one outbound route configuration (RDS), and its HTTP listener. */
export const OUTBOUND = 'outbound';

/** The gateway's route configuration for one server port (Istio's name). */
export function gatewayRoutes(port: number): string {
  return `http.${port}`;
}

export function gatewayListener(port: number): string {
  return `gateway_${port}`;
}

/** An inbound listener, named by the port it listens on. */
export function inboundListener(listenPort: number): string {
  return `inbound_${listenPort}`;
}

/** A sidecar's outbound listener for a tcp service port. */
export function tcpOutboundListener(port: number, fqdn: string): string {
  return `outbound_tcp|${port}|${fqdn}`;
}

/** A virtual host: the service and port it routes, as Istio names it. */
export function virtualHost(host: string, port: number): string {
  return `${host}:${port}`;
}

/** HTTP-proxy mode: the internal listener (and the cluster reaching it) that CONNECT tunnels go to. */
export const TUNNEL = 'outbound_tunnel';

/** SDS: the proxy's own certificate and the mesh's trust bundle, Istio's secret names. */
export const WORKLOAD_SECRET = 'default';
export const ROOT_SECRET = 'ROOTCA';
