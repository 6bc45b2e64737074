// compileMesh: the validated mesh and where things listen → Envoy resources for every proxy.
// Pure and deterministic. Resources equal for several proxies are built once and shared as the
// same object (every sidecar shares the outbound clusters and, without sourceLabels, the routes),
// and every distinct resource object is checked against Envoy's protos once.
import type { MeshModel, VersionModel, VirtualServiceModel } from '../config/model.ts';
import { GATEWAY_PROXY, outboundCluster } from '../config/names.ts';
import type { FieldPatterns } from '../config/not-applied.ts';
import type { Server } from '../config/schema/istio.ts';
import type { Addressing } from './addressing.ts';
import { APPLIED_BY_CLUSTERS, appCluster, byName, outboundClusters, passthroughCluster, tunnelCluster, type ClusterSet } from './clusters.ts';
import {
  APPLIED_BY_LISTENERS,
  gatewayListenerFor,
  inboundListenerFor,
  outboundListener,
  tcpListener,
  tcpTargets,
  tunnelListener,
  type WeightedCluster,
} from './listeners.ts';
import { meshVirtualService } from './lookup.ts';
import { gatewayRoutes, OUTBOUND, tcpOutboundListener } from './names.ts';
import { checkResource } from '../envoy/proto.ts';
import { APPLIED_BY_POLICY } from './policy.ts';
import { APPLIED_BY_ROUTES, gatewayKey, gatewayRouteConfig, sidecarRouteConfig, type GatewayServerScope, type MatchFilter } from './routes.ts';
import { RESOURCE_KINDS, type ProxySnapshot, type Resource } from '../envoy/snapshot.ts';

export type { ProxySnapshot, Resource } from '../envoy/snapshot.ts';

/** The Istio fields the proxy kinds apply: which proxies a match is for, which ports a gateway serves. */
const APPLIED_BY_PROXY_KINDS: FieldPatterns = {
  VirtualService: ['spec.http.*.match.*.sourceLabels', 'spec.http.*.match.*.gateways', 'spec.tcp.*.match.*.sourceLabels', 'spec.tcp.*.match.*.gateways'],
  Gateway: ['spec.servers.*.port.number', 'spec.servers.*.port.protocol'],
};

/** Every Istio field the compiler applies, as each part declares it beside its code. */
export const APPLIED_FIELDS: readonly FieldPatterns[] = [
  APPLIED_BY_PROXY_KINDS,
  APPLIED_BY_ROUTES,
  APPLIED_BY_LISTENERS,
  APPLIED_BY_CLUSTERS,
  APPLIED_BY_POLICY,
];

export interface CompiledMesh {
  /** Sorted by proxy id. */
  snapshots: ProxySnapshot[];
}

export function compileMesh(model: MeshModel, addressing: Addressing): CompiledMesh {
  const outbound = outboundClusters(model, addressing);
  const snapshots = [...sidecarSnapshots(model, addressing, outbound), gatewaySnapshot(model, addressing, outbound)];
  const checkedLists = new Set<readonly Resource[]>();
  for (const snapshot of snapshots) {
    for (const kind of RESOURCE_KINDS) {
      const list = snapshot[kind];
      if (checkedLists.has(list)) continue;
      checkedLists.add(list);
      for (const resource of list) checkResource(kind, resource.value);
    }
  }
  snapshots.sort((a, b) => (a.proxy < b.proxy ? -1 : a.proxy > b.proxy ? 1 : 0));
  return { snapshots };
}

/** The one value for a key, built on first use. */
function shared<T>(cache: Map<string, T>, key: string, build: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = build();
    cache.set(key, value);
  }
  return value;
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

/** Every distinct `sourceLabels` selector in mesh routes: a sidecar's routes depend only on which it matches. */
function sourceSelectors(model: MeshModel): Record<string, string>[] {
  const byKey = new Map<string, Record<string, string>>();
  for (const vs of model.virtualServices) {
    if (!vs.gateways.includes('mesh')) continue;
    for (const route of [...(vs.spec.http ?? []), ...(vs.spec.tcp ?? [])]) {
      for (const m of route.match ?? []) if (m.sourceLabels) byKey.set(JSON.stringify(m.sourceLabels), m.sourceLabels);
    }
  }
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

function sidecarFilter(version: VersionModel): MatchFilter {
  return (m) =>
    (m.gateways === undefined || m.gateways.includes('mesh')) &&
    (m.sourceLabels === undefined || labelsMatch(m.sourceLabels, version.labels));
}

/** Merge two lists sorted by name. */
function mergeByName(a: readonly Resource[], b: readonly Resource[]): Resource[] {
  const out: Resource[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(byName(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

function sidecarSnapshots(model: MeshModel, addressing: Addressing, outbound: ClusterSet): ProxySnapshot[] {
  const { capture, listenAddress } = addressing;
  const meshClusters = [...outbound.clusters, capture ? passthroughCluster() : tunnelCluster()].sort(byName);
  const selectors = sourceSelectors(model);
  const httpPorts = [...new Set(model.services.flatMap((s) => s.ports.filter((p) => p.protocol !== 'tcp').map((p) => p.port)))].sort((a, b) => a - b);
  const tcpPorts = model.services.flatMap((s) => s.ports.filter((p) => p.protocol === 'tcp').map((port) => ({ service: s, port })));
  const routeConfigs = new Map<string, Resource>();
  const listeners = new Map<string, Resource>();
  const apps = new Map<string, Resource>();
  const clusterLists = new Map<string, Resource[]>();
  const tunnel = capture ? [] : [tunnelListener()];
  const snapshots: ProxySnapshot[] = [];

  for (const service of model.services) {
    for (const version of service.versions) {
      const proxy = version.proxy;
      const variant = selectors.map((s) => (labelsMatch(s, version.labels) ? '1' : '0')).join('');
      const applies = sidecarFilter(version);
      const routes = shared(routeConfigs, variant, () => ({
        name: OUTBOUND,
        value: sidecarRouteConfig(model, OUTBOUND, applies, { capture, tunnel: !capture }),
      }));

      const proxyListeners: Resource[] = [];
      const outboundPort = addressing.outboundPort(proxy);
      proxyListeners.push(shared(listeners, `outbound ${outboundPort}`, () => outboundListener(listenAddress, outboundPort, capture, httpPorts)));
      proxyListeners.push(...tunnel);

      const takenPorts = new Set<number>();
      for (const { service: target, port } of tcpPorts) {
        const listenPort = capture ? port.port : addressing.tcpOutboundPort(proxy, target.fqdn, port.port);
        if (takenPorts.has(listenPort)) continue; // with capture, one listener per port: the first service wins
        takenPorts.add(listenPort);
        const name = tcpOutboundListener(port.port, target.fqdn);
        proxyListeners.push(
          shared(listeners, `tcp ${variant} ${name} ${listenPort}`, () => {
            const targets: WeightedCluster[] = tcpTargets(model, meshVirtualService(model, target), port.port, applies) ?? [
              { cluster: outboundCluster(port.port, undefined, target.fqdn), weight: 100 },
            ];
            return tcpListener(name, listenAddress, listenPort, capture, targets);
          }),
        );
      }

      const groups = new Map<number, typeof service.ports>();
      for (const port of service.ports) {
        const listenPort = addressing.inboundPort(proxy, port.port);
        groups.set(listenPort, [...(groups.get(listenPort) ?? []), port]);
      }
      for (const [listenPort, ports] of [...groups].sort((a, b) => a[0] - b[0])) {
        proxyListeners.push(
          shared(listeners, `inbound ${listenPort} ${JSON.stringify(ports)}`, () => inboundListenerFor(listenAddress, listenPort, ports, capture)),
        );
      }

      // Equal app clusters (the same ports at the same app address) share the whole cluster list.
      const appKeys = service.ports.map((port) => {
        const app = addressing.appAddress(proxy, port.port);
        return { port, app, key: `${JSON.stringify(port)} ${app.address}:${app.port}` };
      });
      const clusters = shared(clusterLists, appKeys.map((a) => a.key).join(' '), () =>
        mergeByName(appKeys.map(({ port, app, key }) => shared(apps, key, () => appCluster(port, app))).sort(byName), meshClusters),
      );

      snapshots.push({
        proxy,
        kind: 'sidecar',
        service: service.name,
        version: version.name,
        listeners: proxyListeners.sort(byName),
        routes: [routes],
        clusters,
        endpoints: outbound.endpoints,
      });
    }
  }
  return snapshots;
}

const HTTP_SERVERS = new Set<Server['port']['protocol']>(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);
const TCP_SERVERS = new Set<Server['port']['protocol']>(['TCP', 'MONGO']);

function gatewaySnapshot(model: MeshModel, addressing: Addressing, outbound: ClusterSet): ProxySnapshot {
  // Servers by port; the first server on a port decides its protocol. HTTPS/TLS are not served.
  const byPort = new Map<number, { protocol: Server['port']['protocol']; servers: GatewayServerScope[] }>();
  for (const gateway of model.gateways) {
    for (const server of gateway.spec.servers) {
      const port = server.port.number;
      const entry = byPort.get(port) ?? { protocol: server.port.protocol, servers: [] };
      byPort.set(port, entry);
      if (server.port.protocol === entry.protocol) entry.servers.push({ gateway: gateway.key, hosts: server.hosts });
    }
  }
  const listeners: Resource[] = [];
  const routes: Resource[] = [];
  for (const [port, { protocol, servers }] of [...byPort].sort((a, b) => a[0] - b[0])) {
    const listenPort = addressing.gatewayPort(port);
    if (HTTP_SERVERS.has(protocol)) {
      listeners.push(gatewayListenerFor(addressing.listenAddress, listenPort, port));
      routes.push({ name: gatewayRoutes(port), value: gatewayRouteConfig(model, gatewayRoutes(port), port, servers) });
    } else if (TCP_SERVERS.has(protocol)) {
      const keys = new Set(servers.map((s) => s.gateway));
      const applies: MatchFilter = (m, vs) =>
        m.sourceLabels === undefined && (m.gateways === undefined || m.gateways.some((g) => keys.has(gatewayKey(g, vs.namespace))));
      const bound = model.virtualServices.filter((vs: VirtualServiceModel) => vs.gateways.some((g) => keys.has(g)));
      const targets = bound.map((vs) => tcpTargets(model, vs, port, applies)).find((t) => t !== undefined);
      if (targets) listeners.push(gatewayListenerFor(addressing.listenAddress, listenPort, port, targets));
    }
  }
  return {
    proxy: GATEWAY_PROXY,
    kind: 'gateway',
    listeners: listeners.sort(byName),
    routes: routes.sort(byName),
    clusters: outbound.clusters,
    endpoints: outbound.endpoints,
  };
}
