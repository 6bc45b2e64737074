// Where listeners listen and where endpoints are: an input to the compiler, so the same
// compiler serves the Compose stack (fixed ports, transparent capture, Compose DNS names)
// and loopback (a port per listener, for tests and the process runtime).
import type { MeshModel } from '../config/model.ts';
import { gatewayProxies } from '../config/gateway-proxies.ts';
import { portKey, proxyId, sidecarName } from '../config/names.ts';

export interface SocketAddress {
  /** An IP address, or a DNS name (then the cluster resolves it with STRICT_DNS). */
  address: string;
  port: number;
}

export interface Addressing {
  /**
   * Transparent capture (iptables in a container's namespace): the outbound listener takes every
   * connection the app makes and the inbound listener every connection to the app, each using
   * the original destination. Without capture, apps reach the outbound listener as an HTTP proxy
   * and every inbound service port has a listener of its own.
   */
  capture: boolean;
  /** Address every listener binds to ('0.0.0.0' in containers, '127.0.0.1' on loopback). */
  listenAddress: string;
  /** Port of a sidecar's outbound listener (15001 in containers). */
  outboundPort(proxy: string): number;
  /** Port of a sidecar's inbound listener for one service port (15006 for all with capture). */
  inboundPort(proxy: string, servicePort: number): number;
  /**
   * Where the app of a sidecar listens for one of its service ports; `targetPort` is the port the
   * service's own declaration gives (a Kubernetes targetPort), which an addressing that hands
   * the app its ports (loopback) does not need.
   */
  appAddress(proxy: string, servicePort: number, targetPort?: number): SocketAddress;
  /** Where other proxies reach the instances of a service version on one of its ports. */
  endpoints(service: string, version: string, servicePort: number): SocketAddress[];
  /** Port a gateway proxy (the ingress gateway when not named) listens on for a Gateway server port. */
  gatewayPort(serverPort: number, proxy?: string): number;
  /** Where other proxies reach a gateway proxy's listener for a Gateway server port (its in-mesh Service). */
  gatewayEndpoint(proxy: string, serverPort: number): SocketAddress;
  /** Without capture: the local port a sidecar offers for an outbound TCP service port. */
  tcpOutboundPort(proxy: string, serviceFqdn: string, servicePort: number): number;
}

export const CAPTURE_PORTS = { outbound: 15001, inbound: 15006, admin: 15000, stats: 15090, health: 15021 };

/** The Compose stack: Envoy beside each app in one network namespace, peers by Compose DNS. */
export function composeAddressing(): Addressing {
  return {
    capture: true,
    listenAddress: '0.0.0.0',
    outboundPort: () => CAPTURE_PORTS.outbound,
    inboundPort: () => CAPTURE_PORTS.inbound,
    appAddress: (_proxy, port, targetPort) => ({ address: '127.0.0.1', port: targetPort ?? port }),
    endpoints: (service, version, port) => [{ address: sidecarName(proxyId(service, version)), port }],
    gatewayPort: (port) => port,
    gatewayEndpoint: (proxy, port) => ({ address: proxy, port }),
    tcpOutboundPort: (_proxy, _service, port) => port,
  };
}

/** Ports handed out before (e.g. by the process runtime, or by an earlier compile) to keep. */
export interface LoopbackStart {
  /** Port by key, as in `ports` of a loopback addressing (`outbound reviews-v1`, `inbound reviews-v1 9080`, …). */
  ports: ReadonlyMap<string, number>;
  listenAddress?: string;
}

/**
 * Everything on 127.0.0.1 with consecutive ports from `basePort`, in a fixed order derived from
 * the model, so the same model always gets the same ports. `ports` lists what was handed out.
 * With `start`, its ports are kept as they are and new keys get ports above all of them, so a
 * reload of an edited model never moves a port that is already in use.
 */
export function loopbackAddressing(
  model: MeshModel,
  basePort: number,
  start?: LoopbackStart,
): Addressing & { ports: Map<string, number> } {
  const ports = new Map<string, number>(start?.ports);
  let next = Math.max(basePort, ...[...ports.values()].map((p) => p + 1));
  const take = (key: string): number => {
    let port = ports.get(key);
    if (port === undefined) {
      port = next++;
      ports.set(key, port);
    }
    return port;
  };
  // Hand out ports in model order first, so numbering does not depend on call order.
  for (const service of model.services) {
    for (const version of service.versions) {
      take(portKey.outbound(version.proxy));
      for (const p of service.ports) {
        take(portKey.inbound(version.proxy, p.port));
        take(portKey.app(version.proxy, p.port));
      }
    }
  }
  const gateways = new Map(model.gateways.map((g) => [g.key, g]));
  for (const { proxy, gateways: keys } of gatewayProxies(model.gateways)) {
    for (const key of keys) for (const server of gateways.get(key)!.spec.servers) take(portKey.gateway(server.port.number, proxy));
  }
  const proxyOf = (service: string, version: string) =>
    model.services.find((s) => s.name === service)?.versions.find((v) => v.name === version)?.proxy ??
    proxyId(service, version);
  return {
    capture: false,
    listenAddress: start?.listenAddress ?? '127.0.0.1',
    ports,
    outboundPort: (proxy) => take(portKey.outbound(proxy)),
    inboundPort: (proxy, port) => take(portKey.inbound(proxy, port)),
    appAddress: (proxy, port) => ({ address: '127.0.0.1', port: take(portKey.app(proxy, port)) }),
    endpoints: (service, version, port) => [{ address: '127.0.0.1', port: take(portKey.inbound(proxyOf(service, version), port)) }],
    gatewayPort: (port, proxy) => take(portKey.gateway(port, proxy)),
    gatewayEndpoint: (proxy, port) => ({ address: '127.0.0.1', port: take(portKey.gateway(port, proxy)) }),
    tcpOutboundPort: (proxy, service, port) => take(portKey.tcp(proxy, service, port)),
  };
}

/**
 * Every key a compile of `model` asks a loopback addressing for, in the order it is handed out,
 * from the model alone (the process runtime plans a port for each before anything runs): the
 * model-order keys, and without capture each sidecar's local port per TCP service port
 * (compile/sidecar.ts asks for those as it builds the sidecar's listeners).
 */
export function loopbackPortKeys(model: MeshModel): string[] {
  const addressing = loopbackAddressing(model, 1);
  const tcp = model.services.flatMap((s) => s.ports.filter((p) => p.protocol === 'tcp').map((p) => ({ fqdn: s.fqdn, port: p.port })));
  for (const service of model.services) {
    for (const version of service.versions) for (const t of tcp) addressing.tcpOutboundPort(version.proxy, t.fqdn, t.port);
  }
  return [...addressing.ports.keys()];
}
