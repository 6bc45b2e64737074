// The gateway proxy kind: one Envoy per Gateway selector (config/gateway-proxies.ts), each serving
// only the Gateways that select it, a listener per server port (the first server on a port decides
// whether it is HTTP, TLS-based or TCP). HTTP ones route by RDS (httpsRedirect answers 301);
// HTTPS servers terminate TLS with the certificate they name, or a local one (SDS), a filter chain
// each by SNI, and route by RDS; TLS servers pass through by SNI to the `tls` routes of the
// VirtualServices bound to them (PASSTHROUGH) or terminate and forward by `tcp` routes; TCP ones
// forward by `tcp` routes.
import { runtimeResources } from './runtime.ts';
import { gatewayProxies } from '../config/gateway-proxies.ts';
import { exportedTo } from '../config/namespace-view.ts';
import type { GatewayModel, VirtualServiceModel } from '../config/model.ts';
import type { FieldPatterns } from '../config/not-applied.ts';
import type { Server } from '../config/schema/istio.ts';
import type { EnvoyJson, Resource } from '../envoy/snapshot.ts';
import { byName } from './clusters.ts';
import type { ProxyIdentity, ProxyKind } from './generator.ts';
import { gatewayListenerFor, gatewayTlsListener, tcpTargets, type GatewayChain, type WeightedCluster } from './listeners.ts';
import { gatewayHttpsRoutes, gatewayListener, gatewayRoutes } from './names.ts';
import { forwardedTo, gatewayKey, gatewayRouteConfig, intersectHosts, resolveDestination, type GatewayServerScope, type MatchFilter } from './routes.ts';
import { securityFilters } from './security-filters.ts';
import { gatewayDownstreamTls, serverHostNames, type GatewayTls } from './tls.ts';
import type { Workload } from '../config/authz-scope.ts';

/** The Istio fields that decide which proxy serves a Gateway, which ports it serves, and how. */
export const APPLIED_BY_GATEWAY: FieldPatterns = {
  Gateway: [
    'spec.selector',
    'spec.servers.*.port.number',
    'spec.servers.*.port.protocol',
    'spec.servers.*.tls.mode',
    'spec.servers.*.tls.httpsRedirect',
    'spec.servers.*.tls.credentialName',
    'spec.servers.*.tls.serverCertificate',
    'spec.servers.*.tls.privateKey',
    'spec.servers.*.tls.caCertificates',
  ],
  VirtualService: ['spec.tls.*.route', 'spec.tls.*.match.*.sniHosts', 'spec.tls.*.match.*.port', 'spec.tls.*.match.*.gateways', 'spec.tls.*.match.*.sourceLabels'],
};

type Protocol = Server['port']['protocol'];
type Family = 'http' | 'tls' | 'tcp';
const FAMILY: Partial<Record<Protocol, Family>> = {
  HTTP: 'http', HTTP2: 'http', GRPC: 'http', 'GRPC-WEB': 'http',
  HTTPS: 'tls', TLS: 'tls',
  TCP: 'tcp', MONGO: 'tcp',
};

interface ServedServer extends GatewayServerScope {
  server: Server;
  model: GatewayModel;
}

interface GatewayPort {
  port: number;
  family: Family;
  servers: ServedServer[];
}

interface GatewayProxy {
  id: ProxyIdentity;
  /** The gateway's pods as policies select them (AuthorizationPolicy, RequestAuthentication). */
  workload: Workload;
  /** The servers of its Gateways by port, sorted by port; on each port only those of the first server's family. */
  ports: GatewayPort[];
}

function tlsOf(server: Server): GatewayTls & { httpsRedirect?: boolean } {
  return (server.tls ?? {}) as GatewayTls & { httpsRedirect?: boolean };
}

const terminates = (server: Server) => {
  const mode = tlsOf(server).mode ?? (server.port.protocol === 'HTTPS' ? 'SIMPLE' : 'PASSTHROUGH');
  return mode !== 'PASSTHROUGH' && mode !== 'AUTO_PASSTHROUGH';
};

export const GATEWAY: ProxyKind<GatewayProxy> = {
  kind: 'gateway',

  proxies({ model }) {
    const byKey = new Map(model.gateways.map((g) => [g.key, g]));
    return gatewayProxies(model.gateways).map(({ proxy, gateways, namespace, labels }) => {
      const byPort = new Map<number, GatewayPort>();
      for (const gateway of gateways.map((k) => byKey.get(k)!)) {
        for (const server of gateway.spec.servers) {
          const family = FAMILY[server.port.protocol];
          if (!family) continue;
          const port = server.port.number;
          const entry = byPort.get(port) ?? { port, family, servers: [] };
          byPort.set(port, entry);
          if (family !== entry.family) continue;
          const redirect = family === 'http' && tlsOf(server).httpsRedirect === true;
          entry.servers.push({ gateway: gateway.key, hosts: server.hosts, ...(redirect ? { httpsRedirect: true } : {}), server, model: gateway });
        }
      }
      return { id: { proxy }, workload: { namespace, labels: { ...labels } }, ports: [...byPort.values()].sort((a, b) => a.port - b.port) };
    });
  },

  // The listeners of HTTP ports read no VirtualService: kept from the last compile (memo.ts);
  // the routes and the TCP and TLS listeners (their routes, chains) are built again.
  generators({ model, addressing, outbound, memo }) {
    const scopeFor = (keys: ReadonlySet<string>, namespace: string): MatchFilter => (m, vs) =>
      m.sourceLabels === undefined && (m.sourceNamespace === undefined || m.sourceNamespace === namespace) && (m.gateways === undefined || m.gateways.some((g) => keys.has(gatewayKey(g, vs.namespace))));
    // A gateway proxy sees the VirtualServices exported to its namespace, as a sidecar does.
    const bound = (keys: ReadonlySet<string>, namespace: string) =>
      model.virtualServices.filter((vs: VirtualServiceModel) => vs.gateways.some((g) => keys.has(g)) && exportedTo(vs, namespace));
    const tcpFor = (port: number, keys: ReadonlySet<string>, namespace: string) =>
      bound(keys, namespace).map((vs) => tcpTargets(model, vs, port, scopeFor(keys, namespace))).find((t) => t !== undefined);
    const httpsRoutesOf = ({ server, model: gateway }: ServedServer) =>
      gatewayHttpsRoutes(server.port.number, server.port.name, gateway.name, gateway.namespace);

    /** The passthrough chains of a TLS server: one per `tls` route match, its SNI hosts those the server serves. */
    const passthrough = (port: number, served: ServedServer, security: EnvoyJson[], namespace: string): GatewayChain[] => {
      const keys = new Set([served.gateway]);
      const applies = scopeFor(keys, namespace);
      const chains: GatewayChain[] = [];
      for (const vs of bound(keys, namespace)) {
        (vs.spec.tls ?? []).forEach((route, i) => {
          if (!route.route?.length) return;
          const scope = { model, listenerPort: port, applies };
          const targets: WeightedCluster[] = forwardedTo(route.route).map((d) => ({ cluster: resolveDestination(scope, vs, d.destination).cluster, weight: d.weight ?? 100 }));
          for (const m of route.match) {
            if ((m.port !== undefined && m.port !== port) || !applies(m, vs)) continue;
            const names = serverHostNames(m.sniHosts.flatMap((h) => intersectHosts(h, served.hosts)));
            if (names.length > 0) chains.push({ name: `${vs.namespace}/${vs.name}.tls.${i}`, serverNames: names.filter((n) => n !== '*'), targets, security });
          }
        });
      }
      return chains;
    };

    const tlsChains = ({ port, servers }: GatewayPort, workload: Workload): Array<GatewayChain & { https?: ServedServer }> => {
      const http = securityFilters(model, workload, port);
      const tcp = securityFilters(model, workload, port, { statPrefix: gatewayListener(port) });
      const chains: Array<GatewayChain & { https?: ServedServer }> = [];
      for (const served of servers) {
        const { server } = served;
        const names = serverHostNames(served.hosts).filter((h) => h !== '*');
        if (!terminates(server)) {
          if ((tlsOf(server).mode ?? 'PASSTHROUGH') === 'PASSTHROUGH') chains.push(...passthrough(port, served, tcp, workload.namespace));
          continue;
        }
        const transportSocket = gatewayDownstreamTls(tlsOf(server), served.hosts, server.port.protocol === 'HTTPS');
        if (server.port.protocol === 'HTTPS') chains.push({ name: httpsRoutesOf(served), serverNames: names, transportSocket, routes: httpsRoutesOf(served), security: http, https: served });
        else {
          const targets = tcpFor(port, new Set([served.gateway]), workload.namespace);
          if (targets) chains.push({ name: `${served.gateway}.${server.port.name}`, serverNames: names, transportSocket, targets, security: tcp });
        }
      }
      // Envoy refuses two chains that match the same connections: the first server (or route) wins, as in Istio.
      const seen = new Set<string>();
      return chains.filter((c) => {
        const key = JSON.stringify([...c.serverNames].sort());
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    };

    return {
      listeners({ id: { proxy }, workload, ports }) {
        const listeners: Resource[] = [];
        for (const gatewayPort of ports) {
          const { port, family, servers } = gatewayPort;
          const listenPort = addressing.gatewayPort(port, proxy);
          if (family === 'http') {
            listeners.push(memo.keep(`gateway ${proxy} http ${port} ${listenPort}`, () => gatewayListenerFor(addressing.listenAddress, listenPort, port, undefined, securityFilters(model, workload, port))));
          }
          else if (family === 'tcp') {
            const targets = tcpFor(port, new Set(servers.map((s) => s.gateway)), workload.namespace);
            const security = securityFilters(model, workload, port, { statPrefix: gatewayListener(port) });
            if (targets) listeners.push(gatewayListenerFor(addressing.listenAddress, listenPort, port, targets, security));
          } else {
            const chains = tlsChains(gatewayPort, workload);
            if (chains.length > 0) listeners.push(gatewayTlsListener(addressing.listenAddress, listenPort, port, chains.map(({ https: _, ...c }) => c)));
          }
        }
        return listeners.sort(byName);
      },

      routes: ({ workload, ports }) =>
        ports
          .flatMap((gatewayPort) => {
            const { port, family, servers } = gatewayPort;
            if (family === 'http') return [{ name: gatewayRoutes(port), value: gatewayRouteConfig(model, gatewayRoutes(port), port, servers, workload.namespace) }];
            if (family !== 'tls') return [];
            return tlsChains(gatewayPort, workload).flatMap(({ https }) =>
              https ? [{ name: httpsRoutesOf(https), value: gatewayRouteConfig(model, httpsRoutesOf(https), port, [{ gateway: https.gateway, hosts: https.hosts }], workload.namespace) }] : []);
          })
          .sort(byName),

      clusters: () => outbound.clusters,
      endpoints: () => outbound.endpoints,
      // Filled by the control plane (control/secrets.ts): compile names secrets, never holds keys.
      secrets: () => [],
      // Nobody watching; the control plane switches it (compile/runtime.ts).
      runtime: () => runtimeResources({ watched: false, sampling: model.settings.tracing?.sampling }),
    };
  },
};
