// The sidecar proxy kind: one Envoy beside each service version. Outbound: one listener (or, with
// capture, the catch-all) routing by the mesh's routes, a listener per tcp service port, every
// outbound cluster; inbound: a listener per listen port to the app's own clusters.
import { runtimeResources } from './runtime.ts';
import type { ServiceModel, ServicePortModel, VersionModel } from '../config/model.ts';
import { mtlsModeFor } from '../config/mtls.ts';
import { outboundCluster } from '../config/names.ts';
import type { FieldPatterns } from '../config/not-applied.ts';
import { RESOURCE_KINDS, type EnvoyJson, type Resource, type ResourceKind } from '../envoy/snapshot.ts';
import { appCluster, byName, passthroughCluster, tunnelCluster } from './clusters.ts';
import { shared, type CompileInput, type ProxyIdentity, type ProxyKind } from './generator.ts';
import { inboundListenerFor, outboundListener, tcpListener, tcpTargets, tunnelListener, type WeightedCluster } from './listeners.ts';
import { meshVirtualService } from './lookup.ts';
import { contentKey } from './memo.ts';
import { OUTBOUND, PASSTHROUGH_CLUSTER, tcpOutboundListener } from './names.ts';
import { BLACKHOLE_CLUSTER, blackholeCluster, capturedExternalPorts, externalHttpPorts, forwardProxyPassthrough } from './external.ts';
import { outboundPolicy } from '../config/outbound-policy.ts';
import { meshTlsTargets, sidecarRouteConfig, type MatchFilter } from './routes.ts';
import { securityFilters } from './security-filters.ts';

/** The Istio fields that decide which sidecars a match is for. */
export const APPLIED_BY_SIDECARS: FieldPatterns = {
  VirtualService: ['spec.http.*.match.*.sourceLabels', 'spec.http.*.match.*.gateways', 'spec.tcp.*.match.*.sourceLabels', 'spec.tcp.*.match.*.gateways', 'spec.http.*.match.*.sourceNamespace', 'spec.tcp.*.match.*.sourceNamespace', 'spec.tls.*.match.*.sourceNamespace', 'spec.exportTo'],
  DestinationRule: ['spec.exportTo'],
  ServiceEntry: ['spec.exportTo'],
};

interface Sidecar {
  id: ProxyIdentity;
  service: ServiceModel;
  /** Which `sourceLabels` selectors of the mesh's routes this version matches, one digit each: equal variants get equal routes. */
  variant: string;
  /** The selectors the digits of `variant` are for (their JSON): with the variant, what a memo key needs. */
  selectors: string;
  /** The matches of mesh routes that apply to this version. */
  applies: MatchFilter;
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

/** Every distinct `sourceLabels` selector in mesh routes: a sidecar's routes depend only on which it matches. */
function sourceSelectors({ model }: CompileInput): Record<string, string>[] {
  const byKey = new Map<string, Record<string, string>>();
  for (const vs of model.virtualServices) {
    if (!vs.gateways.includes('mesh')) continue;
    for (const route of [...(vs.spec.http ?? []), ...(vs.spec.tcp ?? [])]) {
      for (const m of route.match ?? []) if (m.sourceLabels) byKey.set(JSON.stringify(m.sourceLabels), m.sourceLabels);
    }
  }
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

function sidecarFilter(version: VersionModel, namespace: string): MatchFilter {
  return (m) =>
    (m.gateways === undefined || m.gateways.includes('mesh')) &&
    (m.sourceNamespace === undefined || m.sourceNamespace === namespace) &&
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

export const SIDECAR: ProxyKind<Sidecar> = {
  kind: 'sidecar',

  proxies(input) {
    const selectors = sourceSelectors(input);
    const selectorsKey = JSON.stringify(selectors);
    return input.model.services.flatMap((service) =>
      service.versions.map((version) => ({
        id: { proxy: version.proxy, service: service.name, version: version.name },
        service,
        variant: selectors.map((s) => (labelsMatch(s, version.labels) ? '1' : '0')).join(''),
        selectors: selectorsKey,
        applies: sidecarFilter(version, service.namespace),
      })),
    );
  },

  // Sidecars see the mesh as their namespace does (exportTo) and call its services by short name.
  generators(input) {
    const byNamespace = new Map<string, Record<ResourceKind, (sidecar: Sidecar) => Resource[]>>();
    const of = (sidecar: Sidecar) => shared(byNamespace, sidecar.service.namespace, () => namespaceGenerators(input.inNamespace(sidecar.service.namespace), sidecar.service.namespace));
    return Object.fromEntries(RESOURCE_KINDS.map((kind) => [kind, (sidecar: Sidecar) => of(sidecar)[kind](sidecar)])) as Record<ResourceKind, (sidecar: Sidecar) => Resource[]>;
  },
};

/** The generators of the sidecars of one namespace. */
// Kept from the last compile (memo.ts), under keys naming all they read besides the base: the
// clusters, the inbound listeners and the outbound one (its captured TLS targets, which a
// VirtualService decides, in its key); the TCP listeners read VirtualServices and are built
// again; the routes keep each virtual host of an unchanged VirtualService (routes.ts).
function namespaceGenerators({ model, addressing, outbound, memo }: CompileInput, namespace: string): Record<ResourceKind, (sidecar: Sidecar) => Resource[]> {
  const kept = <T>(key: string, build: () => T): T => memo.keep(`sidecar ${namespace} ${key}`, build);
  const { capture, listenAddress } = addressing;
  const registryOnly = outboundPolicy(model) === 'REGISTRY_ONLY';
  // Where calls to hosts the mesh does not know go: where the app sent them (ALLOW_ANY), or nowhere.
  const unknownHosts = capture ? [registryOnly ? blackholeCluster() : passthroughCluster()] : registryOnly ? [] : [forwardProxyPassthrough()];
  const meshClusters = kept('mesh clusters', () => [...outbound.clusters, ...(capture ? [] : [tunnelCluster()]), ...unknownHosts].sort(byName));
  const meshHttpPorts = model.services.flatMap((s) => s.ports.filter((p) => p.protocol !== 'tcp').map((p) => p.port));
  const httpPorts = [...new Set([...meshHttpPorts, ...externalHttpPorts(model)])].sort((a, b) => a - b);
  const captured = (capture ? capturedExternalPorts(model) : []).map((c) => {
    const targets = c.serverName ? meshTlsTargets(model, c.serverName, c.port, namespace) : undefined;
    return targets ? { ...c, targets } : c;
  });
  const tcpPorts = model.services.flatMap((s) => s.ports.filter((p) => p.protocol === 'tcp').map((port) => ({ service: s, port })));
  const capturedKey = captured.length > 0 ? JSON.stringify(captured) : '';
  // What a sidecar's listeners read besides the base and its variant: the captured TLS targets,
  // and the VirtualServices of the TCP services (one id for that text, to keep per-proxy keys short).
  const tcpKey = tcpPorts.map(({ service: target }) => contentKey(meshVirtualService(model, target))).join(' ');
  const listenersKey = tcpKey || capturedKey ? memo.idOf(`sidecar ${namespace} listeners ${tcpKey} ${capturedKey}`) : '';
  const routeLists = new Map<string, Resource[]>();
  const tcpListeners = new Map<string, Resource>();
  const tunnel = kept('tunnel', () => (capture ? [] : [tunnelListener()]));
  const runtime = runtimeResources({ watched: false, sampling: model.settings.tracing?.sampling });
  const noSecrets: Resource[] = [];

  const listenersOf = ({ id: { proxy }, service, variant, applies }: Sidecar): Resource[] => {
    const proxyListeners: Resource[] = [];
    const outboundPort = addressing.outboundPort(proxy);
    proxyListeners.push(kept(`outbound ${outboundPort} ${capturedKey}`, () => outboundListener(listenAddress, outboundPort, capture, httpPorts, registryOnly ? BLACKHOLE_CLUSTER : PASSTHROUGH_CLUSTER, captured)));
    proxyListeners.push(...tunnel);

    const takenPorts = new Set<number>();
    for (const { service: target, port } of tcpPorts) {
      const listenPort = capture ? port.port : addressing.tcpOutboundPort(proxy, target.fqdn, port.port);
      if (takenPorts.has(listenPort)) continue; // with capture, one listener per port: the first service wins
      takenPorts.add(listenPort);
      const name = tcpOutboundListener(port.port, target.fqdn);
      proxyListeners.push(
        shared(tcpListeners, `tcp ${variant} ${name} ${listenPort}`, () => {
          const targets: WeightedCluster[] = tcpTargets(model, meshVirtualService(model, target), port.port, applies) ?? [
            { cluster: outboundCluster(port.port, undefined, target.fqdn), weight: 100 },
          ];
          return tcpListener(name, listenAddress, listenPort, capture, targets);
        }),
      );
    }

    const version = service.versions.find((v) => v.proxy === proxy)!;
    const mode = (port: ServicePortModel) => mtlsModeFor(model, service, version, port);
    const modes = (ports: readonly ServicePortModel[]) => ports.map((p) => mode(p) ?? '').join(',');
    const workload = { namespace: service.namespace, labels: version.labels };
    const security = (port: ServicePortModel) =>
      securityFilters(model, workload, port.targetPort ?? port.port, port.protocol === 'tcp' ? { statPrefix: `inbound_${port.port}` } : undefined);
    const policies = (ports: readonly ServicePortModel[]) => (model.authorizationPolicies || model.requestAuthentications ? JSON.stringify(ports.map(security)) : '');
    const groups = new Map<number, typeof service.ports>();
    for (const port of service.ports) {
      const listenPort = addressing.inboundPort(proxy, port.port);
      groups.set(listenPort, [...(groups.get(listenPort) ?? []), port]);
    }
    for (const [listenPort, ports] of [...groups].sort((a, b) => a[0] - b[0])) {
      proxyListeners.push(
        kept(`inbound ${listenPort} ${JSON.stringify(ports)} ${modes(ports)} ${policies(ports)}`, () =>
          inboundListenerFor(listenAddress, listenPort, ports, capture, mode, security),
        ),
      );
    }
    return proxyListeners.sort(byName);
  };

  return {
    // A sidecar's list is the last compile's while nothing it reads changed (the proxy names its
    // labels and ports in the base); its TCP ports are asked for first, as building it would (a
    // loopback addressing hands them out).
    listeners(sidecar) {
      const { proxy } = sidecar.id;
      const tcpListenPorts = capture ? '' : tcpPorts.map(({ service: target, port }) => addressing.tcpOutboundPort(proxy, target.fqdn, port.port)).join(',');
      return kept(`listeners of ${proxy} ${tcpListenPorts} ${listenersKey}`, () => listenersOf(sidecar));
    },

    routes: ({ variant, selectors, applies }) =>
      shared(routeLists, variant, () => {
        const key = `routes ${selectors} ${variant}`;
        const value = sidecarRouteConfig(model, OUTBOUND, applies, { capture, tunnel: !capture, registryOnly, namespace }, (host, build) => kept(`${key} ${host}`, build));
        // The last compile's list when every virtual host is the same object as then.
        return memo.from(`sidecar ${namespace} ${key}`, value.virtual_hosts as EnvoyJson[], () => [{ name: OUTBOUND, value }]);
      }),

    // Equal app clusters (the same ports at the same app address) share the whole cluster list.
    clusters: ({ id: { proxy }, service }) => kept(`clusters of ${proxy}`, () => {
      const appKeys = service.ports.map((port) => {
        const app = addressing.appAddress(proxy, port.port, port.targetPort);
        return { port, app, key: `${JSON.stringify(port)} ${app.address}:${app.port}` };
      });
      return kept(`clusters ${appKeys.map((a) => a.key).join(' ')}`, () =>
        mergeByName(appKeys.map(({ port, app, key }) => kept(`app ${key}`, () => appCluster(port, app))).sort(byName), meshClusters),
      );
    }),

    endpoints: () => outbound.endpoints,
    // Filled by the control plane's CA (control/secrets.ts): compile names secrets, never holds keys.
    secrets: () => noSecrets,
    // Nobody watching; the control plane switches it (compile/runtime.ts).
    runtime: () => runtime,
  };
}
