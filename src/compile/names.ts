// Resource names only the compiler uses, Istio's where Istio has one, so `istioctl proxy-config`
// habits carry over. Cluster names, which other layers read back, are in src/config/names.ts.

/** The cluster of the control plane in every proxy's bootstrap (templates/envoy-bootstrap.json). */
export const CONTROL_CLUSTER = 'xds_cluster';

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

/**
 * The SDS secrets of a Gateway server that terminates TLS, named as Istio names them:
 * `kubernetes://NAME` (and `kubernetes://NAME-cacert`) for a `credentialName`, `file-cert:CERT~KEY`
 * and `file-root:CA` for files; `local-cert:HOST,HOST` is localmesh's certificate made for the
 * server's hosts when it names none. The control plane reads or makes each (control/credentials.ts).
 */
export type GatewaySecret =
  | { kind: 'credential'; name: string; ca: boolean }
  | { kind: 'file-cert'; cert: string; key: string }
  | { kind: 'file-root'; ca: string }
  | { kind: 'local-cert'; hosts: string[] };

const CREDENTIAL = 'kubernetes://';
const CA_SUFFIX = '-cacert';

export function gatewaySecretName(secret: GatewaySecret): string {
  switch (secret.kind) {
    case 'credential': return `${CREDENTIAL}${secret.name}${secret.ca ? CA_SUFFIX : ''}`;
    case 'file-cert': return `file-cert:${secret.cert}~${secret.key}`;
    case 'file-root': return `file-root:${secret.ca}`;
    case 'local-cert': return `local-cert:${secret.hosts.join(',')}`;
  }
}

/** The gateway secret a name stands for, or undefined for any other name. */
export function parseGatewaySecret(name: string): GatewaySecret | undefined {
  if (name.startsWith(CREDENTIAL)) {
    const rest = name.slice(CREDENTIAL.length);
    const ca = rest.endsWith(CA_SUFFIX);
    return { kind: 'credential', name: ca ? rest.slice(0, -CA_SUFFIX.length) : rest, ca };
  }
  if (name.startsWith('file-cert:')) {
    const [cert, key] = name.slice('file-cert:'.length).split('~') as [string, string | undefined];
    return key === undefined ? undefined : { kind: 'file-cert', cert, key };
  }
  if (name.startsWith('file-root:')) return { kind: 'file-root', ca: name.slice('file-root:'.length) };
  if (name.startsWith('local-cert:')) return { kind: 'local-cert', hosts: name.slice('local-cert:'.length).split(',') };
  return undefined;
}

/** A gateway's HTTPS server's route configuration, Istio's name: `https.PORT.PORTNAME.GATEWAY.NAMESPACE`. */
export function gatewayHttpsRoutes(port: number, portName: string, gateway: string, namespace: string): string {
  return `https.${port}.${portName}.${gateway}.${namespace}`;
}
