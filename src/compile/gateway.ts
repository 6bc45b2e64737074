// The ingress gateway proxy kind: one Envoy for every Gateway, a listener per server port (the
// first server on a port decides its protocol): HTTP ones route by RDS, TCP ones by the `tcp`
// routes of the VirtualServices bound to them. HTTPS/TLS servers are not served yet.
import type { VirtualServiceModel } from '../config/model.ts';
import { GATEWAY_PROXY } from '../config/names.ts';
import type { FieldPatterns } from '../config/not-applied.ts';
import type { Server } from '../config/schema/istio.ts';
import type { Resource } from '../envoy/snapshot.ts';
import { byName } from './clusters.ts';
import type { ProxyIdentity, ProxyKind } from './generator.ts';
import { gatewayListenerFor, tcpTargets } from './listeners.ts';
import { gatewayListener, gatewayRoutes } from './names.ts';
import { securityFilters } from './security-filters.ts';
import { GATEWAY_WORKLOAD } from '../config/authz-scope.ts';
import { gatewayKey, gatewayRouteConfig, type GatewayServerScope, type MatchFilter } from './routes.ts';

/** The Istio fields that decide which ports the gateway serves, and how. */
export const APPLIED_BY_GATEWAY: FieldPatterns = { Gateway: ['spec.servers.*.port.number', 'spec.servers.*.port.protocol'] };

const HTTP_SERVERS = new Set<Server['port']['protocol']>(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);
const TCP_SERVERS = new Set<Server['port']['protocol']>(['TCP', 'MONGO']);

interface GatewayProxy {
  id: ProxyIdentity;
  /** The servers of every Gateway by port, sorted by port; on each port only those of the first server's protocol. */
  ports: Array<[number, { protocol: Server['port']['protocol']; servers: GatewayServerScope[] }]>;
}

export const GATEWAY: ProxyKind<GatewayProxy> = {
  kind: 'gateway',

  proxies({ model }) {
    const byPort = new Map<number, { protocol: Server['port']['protocol']; servers: GatewayServerScope[] }>();
    for (const gateway of model.gateways) {
      for (const server of gateway.spec.servers) {
        const port = server.port.number;
        const entry = byPort.get(port) ?? { protocol: server.port.protocol, servers: [] };
        byPort.set(port, entry);
        if (server.port.protocol === entry.protocol) entry.servers.push({ gateway: gateway.key, hosts: server.hosts });
      }
    }
    return [{ id: { proxy: GATEWAY_PROXY }, ports: [...byPort].sort((a, b) => a[0] - b[0]) }];
  },

  generators({ model, addressing, outbound }) {
    return {
      listeners({ ports }) {
        const listeners: Resource[] = [];
        for (const [port, { protocol, servers }] of ports) {
          const listenPort = addressing.gatewayPort(port);
          if (HTTP_SERVERS.has(protocol)) {
            listeners.push(gatewayListenerFor(addressing.listenAddress, listenPort, port, undefined, securityFilters(model, GATEWAY_WORKLOAD, port)));
          }
          else if (TCP_SERVERS.has(protocol)) {
            const keys = new Set(servers.map((s) => s.gateway));
            const applies: MatchFilter = (m, vs) =>
              m.sourceLabels === undefined && (m.gateways === undefined || m.gateways.some((g) => keys.has(gatewayKey(g, vs.namespace))));
            const bound = model.virtualServices.filter((vs: VirtualServiceModel) => vs.gateways.some((g) => keys.has(g)));
            const targets = bound.map((vs) => tcpTargets(model, vs, port, applies)).find((t) => t !== undefined);
            const security = securityFilters(model, GATEWAY_WORKLOAD, port, { statPrefix: gatewayListener(port) });
            if (targets) listeners.push(gatewayListenerFor(addressing.listenAddress, listenPort, port, targets, security));
          }
        }
        return listeners.sort(byName);
      },

      routes: ({ ports }) =>
        ports
          .filter(([, { protocol }]) => HTTP_SERVERS.has(protocol))
          .map(([port, { servers }]) => ({ name: gatewayRoutes(port), value: gatewayRouteConfig(model, gatewayRoutes(port), port, servers) }))
          .sort(byName),

      clusters: () => outbound.clusters,
      endpoints: () => outbound.endpoints,
      // Filled by the control plane's CA (control/secrets.ts): compile names secrets, never holds keys.
      secrets: () => [],
    };
  },
};
