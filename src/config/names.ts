// Names that more than one layer builds or reads, built and parsed here only: proxy ids (Envoy
// node ids), the names of workload instances and their sidecars, cluster names (Istio's), the
// keys of the process runtime's port map, and the fixed ids of the gateway and control plane.
// In config, the lowest layer: the validator itself names proxies, and every other layer but
// xds (which speaks only the protocol) imports config already.

/** The proxy id (Envoy node id) of the ingress gateway; also its Compose service and process name. */
export const GATEWAY_PROXY = 'mesh-gateway';

/** Another gateway proxy (config/gateway-proxies.ts): `mesh-gateway-` and its selector's label values, DNS-safe. */
export function gatewayProxyId(labelValues: readonly string[]): string {
  const tail = labelValues.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${GATEWAY_PROXY}-${tail || 'selected'}`;
}

/** Whether a proxy id is a gateway's (`mesh-gateway`, `mesh-gateway-…`) rather than a sidecar's. */
export function isGatewayProxy(proxy: string): boolean {
  return proxy === GATEWAY_PROXY || proxy.startsWith(`${GATEWAY_PROXY}-`);
}

/** The control plane's Compose service and process name. */
export const CONTROL_NAME = 'mesh-control';

/** A sidecar's proxy id (Envoy node id, shared by all replicas): `SERVICE-VERSION`. */
export function proxyId(service: string, version: string): string {
  return `${service}-${version}`;
}

/** Replica `replica` (from 1) of a sidecar proxy's workload: `S-v`, then `S-v-r2`, `S-v-r3`… */
export function instanceName(proxy: string, replica: number): string {
  return replica === 1 ? proxy : `${proxy}-r${replica}`;
}

/** The Envoy beside an app instance (a Compose service, a process): `INSTANCE-proxy`. */
export function sidecarName(instance: string): string {
  return `${instance}-proxy`;
}

/** Where a proxy's Envoy runs by name: a gateway is itself, a sidecar `SERVICE-VERSION-proxy`. */
export function envoyName(proxy: string): string {
  return isGatewayProxy(proxy) ? proxy : sidecarName(proxy);
}

/** `outbound|PORT|SUBSET|FQDN`; the subset is empty for all versions of the service. */
export function outboundCluster(port: number, subset: string | undefined, fqdn: string): string {
  return `outbound|${port}|${subset ?? ''}|${fqdn}`;
}

/** `inbound|PORT||`: the app behind a sidecar, on one of its service ports. */
export function inboundCluster(port: number): string {
  return `inbound|${port}||`;
}

/** A cluster name in Istio's form, read back; `subset` and `host` are empty where the name has none. */
export interface ClusterName {
  direction: 'outbound' | 'inbound';
  port: number;
  subset: string;
  host: string;
}

/** The parts of an `outbound|…` or `inbound|…` cluster name, or undefined for any other name. */
export function parseCluster(name: string): ClusterName | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const [direction, port, subset, host] = parts as [string, string, string, string];
  if (direction !== 'outbound' && direction !== 'inbound') return undefined;
  if (!/^\d+$/.test(port) || (direction === 'outbound' && host === '')) return undefined;
  return { direction, port: Number(port), subset, host };
}

/**
 * The keys of the process runtime's port map (what `mesh control --addressing FILE` reads): one
 * port for each listener, app port and Envoy admin of the loopback addressing.
 */
export const portKey = {
  outbound: (proxy: string) => `outbound ${proxy}`,
  inbound: (proxy: string, servicePort: number) => `inbound ${proxy} ${servicePort}`,
  app: (proxy: string, servicePort: number) => `app ${proxy} ${servicePort}`,
  /** The ingress gateway's keys name no proxy (as before there were others). */
  gateway: (serverPort: number, proxy: string = GATEWAY_PROXY) =>
    proxy === GATEWAY_PROXY ? `gateway ${serverPort}` : `gateway ${proxy} ${serverPort}`,
  tcp: (proxy: string, serviceFqdn: string, servicePort: number) => `tcp ${proxy} ${serviceFqdn} ${servicePort}`,
  admin: (proxy: string) => `admin ${proxy}`,
};

/**
 * Compose's own default file names: in a mesh directory they are the user's Compose file
 * (merged with the generated stack), not mesh YAML, so the loader leaves them out.
 */
export const COMPOSE_DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

/**
 * Route test files (`mesh test`): requests and what the mesh must do with them, kept beside the
 * mesh but not mesh resources, so the loader leaves them out.
 */
export const ROUTE_TEST_FILE = /\.test\.ya?ml$/;
