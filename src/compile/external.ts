// ServiceEntry hosts as Envoy sees them, the way istiod builds them: a cluster
// `outbound|PORT|SUBSET|HOST` per port (and DestinationRule subset) whose type follows the
// resolution — STATIC: EDS with the entry's endpoints; DNS: STRICT_DNS; DNS_ROUND_ROBIN:
// LOGICAL_DNS; NONE: ORIGINAL_DST with capture, else (an app's HTTP proxy, no original
// destination) a dynamic forward proxy resolving the name the app asked for. TLS origination
// (DestinationRule `tls.mode: SIMPLE`) is the cluster's transport socket. The sidecar's outbound
// routes get a virtual host per host and HTTP port, as for a service.
import { isAbsolute, resolve } from 'node:path';
import type { MeshModel, ServiceEntryEndpoint, ServiceEntryModel } from '../config/model.ts';
import { outboundCluster } from '../config/names.ts';
import type { FieldPatterns } from '../config/not-applied.ts';
import type { ClientTLSSettings } from '../config/schema/istio.ts';
import type { Protocol } from '../config/schema/mesh.ts';
import type { ServiceEntryPort } from '../config/schema/service-entry.ts';
import { endpointPort, portKind, serviceEntryAddresses } from '../config/service-entries.ts';
import type { CapturedPort } from './listeners.ts';
import type { EnvoyJson, Resource } from '../envoy/snapshot.ts';
import type { Addressing } from './addressing.ts';
import { byName, policyFields, type ClusterSet } from './clusters.ts';
import { ADS, socketAddress, typed } from './envoy-json.ts';
import { destinationRuleFor } from './lookup.ts';
import { PASSTHROUGH_CLUSTER } from './names.ts';
import { trafficPolicy } from './policy.ts';

/** The Istio fields these clusters and hosts apply (the entry's own checks: config/service-entries.ts). */
export const APPLIED_BY_EXTERNAL: FieldPatterns = {
  // `addresses`: one IPv4 address is the hosts' address on Compose (a warning says when not); `network`: one network here (a warning without an address).
  ServiceEntry: [
    'spec.hosts', 'spec.addresses', 'spec.ports', 'spec.location', 'spec.resolution', 'spec.workloadSelector', 'spec.subjectAltNames',
    'spec.endpoints.*.address', 'spec.endpoints.*.ports', 'spec.endpoints.*.labels', 'spec.endpoints.*.weight', 'spec.endpoints.*.network',
  ],
  WorkloadEntry: ['spec.address', 'spec.ports', 'spec.labels', 'spec.weight', 'spec.network'],
  DestinationRule: ['spec.**.tls.mode', 'spec.**.tls.sni', 'spec.**.tls.caCertificates', 'spec.**.tls.insecureSkipVerify', 'spec.**.tls.subjectAltNames'],
};

/** One host of a ServiceEntry: what the sidecar's routes and clusters are built from. */
export interface ExternalHost {
  host: string;
  entry: ServiceEntryModel;
}

/** Every host the mesh's ServiceEntries declare, in file order. */
export function externalHosts(model: MeshModel): ExternalHost[] {
  return (model.serviceEntries ?? []).flatMap((entry) => entry.hosts.map((host) => ({ host, entry })));
}

/** The HTTP ports of ServiceEntry hosts: with capture, the outbound listener routes them by HTTP. */
export function externalHttpPorts(model: MeshModel): number[] {
  return externalHosts(model).flatMap(({ entry }) => entry.ports.filter((p) => portKind(p.protocol) === 'http').map((p) => p.number));
}

/** The mesh vocabulary's protocol for a ServiceEntry port: what the cluster speaks upstream. */
export function clusterProtocol(port: ServiceEntryPort): Protocol {
  switch (port.protocol) {
    case 'HTTP2':
    case 'GRPC':
      return 'http2';
    case 'HTTP':
    case 'GRPC-WEB':
      return 'http';
    default:
      return 'tcp';
  }
}

const DNS_CACHE: EnvoyJson = { name: 'dynamic_forward_proxy_cache_config', dns_lookup_family: 'V4_ONLY' };

/** The HTTP filter that resolves a dynamic forward proxy cluster's host before the router picks it. */
export const DYNAMIC_FORWARD_PROXY_FILTER: EnvoyJson = {
  name: 'envoy.filters.http.dynamic_forward_proxy',
  typed_config: typed('extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig', { dns_cache_config: DNS_CACHE }),
};

/** A cluster that connects where the request's authority (Host, or CONNECT's target) points. */
function dynamicForwardProxy(name: string): EnvoyJson {
  return {
    name,
    lb_policy: 'CLUSTER_PROVIDED',
    cluster_type: {
      name: 'envoy.clusters.dynamic_forward_proxy',
      typed_config: typed('extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig', { dns_cache_config: DNS_CACHE }),
    },
  };
}

/**
 * ALLOW_ANY without capture: a call to a host the mesh does not know goes where the app sent it,
 * resolved by name as the app would have (Istio's PassthroughCluster, which needs capture).
 */
export function forwardProxyPassthrough(): Resource {
  return { name: PASSTHROUGH_CLUSTER, value: { ...dynamicForwardProxy(PASSTHROUGH_CLUSTER), connect_timeout: '10s' } };
}

/** REGISTRY_ONLY: where TCP to an unknown destination goes (nowhere), as Istio's. */
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';

export function blackholeCluster(): Resource {
  return { name: BLACKHOLE_CLUSTER, value: { name: BLACKHOLE_CLUSTER, type: 'STATIC', connect_timeout: '10s' } };
}

function lbEndpoint(address: string, port: number, weight: number | undefined, labels: Record<string, string>): EnvoyJson {
  return {
    endpoint: { address: socketAddress(address, port) },
    ...(weight !== undefined ? { load_balancing_weight: weight } : {}),
    ...(Object.keys(labels).length > 0 ? { metadata: { filter_metadata: { istio: { labels } } } } : {}),
  };
}

function assignment(name: string, endpoints: EnvoyJson[]): EnvoyJson {
  return { cluster_name: name, endpoints: endpoints.length > 0 ? [{ lb_endpoints: endpoints }] : [] };
}

/** The endpoints a subset selects: those whose labels include all of the subset's labels. */
function selected(endpoints: readonly ServiceEntryEndpoint[], labels: Record<string, string> | undefined): ServiceEntryEndpoint[] {
  const wanted = Object.entries(labels ?? {});
  return endpoints.filter((e) => wanted.every(([k, v]) => e.labels[k] === v));
}

/** The cluster's discovery, by resolution: its type and where its endpoints are. */
function discovery(name: string, { host, entry }: ExternalHost, port: ServiceEntryPort, subsetLabels: Record<string, string> | undefined, capture: boolean): { cluster: EnvoyJson; endpoints?: EnvoyJson } {
  const endpoints = selected(entry.endpoints, subsetLabels);
  const lb = (list: readonly ServiceEntryEndpoint[]) => list.map((e) => lbEndpoint(e.address, endpointPort(e, port), e.weight, e.labels));
  switch (entry.resolution) {
    case 'STATIC':
      return { cluster: { name, type: 'EDS', eds_cluster_config: { eds_config: ADS } }, endpoints: assignment(name, lb(endpoints)) };
    case 'DNS':
    case 'DNS_ROUND_ROBIN': {
      // Without endpoints the host itself is resolved (validation requires it to be a name then).
      const list = entry.endpoints.length > 0 ? lb(endpoints) : [lbEndpoint(host, port.targetPort ? port.targetPort : port.number, undefined, {})];
      return {
        cluster: { name, type: entry.resolution === 'DNS' ? 'STRICT_DNS' : 'LOGICAL_DNS', dns_lookup_family: 'V4_ONLY', load_assignment: assignment(name, list) },
      };
    }
    default:
      return { cluster: capture ? { name, type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' } : dynamicForwardProxy(name) };
  }
}

/** A file a DestinationRule names, in the mesh directory unless absolute; absolute, as Envoy runs elsewhere. */
function meshFile(model: MeshModel, file: string): string {
  return isAbsolute(file) ? file : resolve(model.dir ?? '.', file);
}

/** Where Envoy finds the system's trusted CAs (Istio's `system` default), in Envoy's images and on Linux. */
export const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * Istio's SIMPLE TLS origination: SNI from `sni` (else the host, when it is not a wildcard); the
 * server checked against `caCertificates` (else the system's CAs) and `subjectAltNames` (the
 * rule's, else the entry's, else the SNI, as Istio's auto SAN validation does), or not at all
 * with `insecureSkipVerify`.
 */
function originateTls(model: MeshModel, { host, entry }: ExternalHost, tls: ClientTLSSettings): EnvoyJson | undefined {
  if (tls.mode !== 'SIMPLE' && tls.mode !== 'MUTUAL') return undefined;
  const sni = tls.sni ?? (host.startsWith('*') ? undefined : host);
  // The rule's names, else the entry's (Istio, for hosts of its external registry), else the SNI.
  const given = tls.subjectAltNames?.length ? tls.subjectAltNames : entry.spec.subjectAltNames;
  const sans = given?.length ? given : sni ? [sni] : [];
  const validation = tls.insecureSkipVerify
    ? {}
    : {
        validation_context: {
          trusted_ca: { filename: tls.caCertificates ? meshFile(model, tls.caCertificates) : SYSTEM_CA_FILE },
          ...(sans.length > 0 ? { match_typed_subject_alt_names: sans.map((exact) => ({ san_type: 'DNS', matcher: { exact } })) } : {}),
        },
      };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed('extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
      common_tls_context: validation,
      ...(sni ? { sni } : {}),
    }),
  };
}

/** The mesh's clusters and every ServiceEntry host's (each port, each subset of its DestinationRule), sorted by name. */
export function withExternalClusters(model: MeshModel, addressing: Addressing, mesh: ClusterSet): ClusterSet {
  if (!model.serviceEntries?.length) return mesh;
  const into: ClusterSet = { clusters: [...mesh.clusters], endpoints: [...mesh.endpoints] };
  for (const external of externalHosts(model)) {
    const rule = destinationRuleFor(model, external.host);
    const subsets = [undefined, ...(rule?.spec.subsets ?? [])];
    for (const port of external.entry.ports) {
      if (portKind(port.protocol) === 'udp') continue;
      for (const subset of subsets) {
        const name = outboundCluster(port.number, subset?.name, external.host);
        const policy = trafficPolicy(rule, port.number, subset?.name);
        const { cluster, endpoints } = discovery(name, external, port, subset?.labels, addressing.capture);
        const tls = policy?.tls ? originateTls(model, external, policy.tls) : undefined;
        const { connect_timeout, ...fields } = policyFields(policy, clusterProtocol(port));
        // A dynamic forward proxy or original destination cluster picks its own hosts.
        const lb = cluster['lb_policy'] === 'CLUSTER_PROVIDED' ? { lb_policy: 'CLUSTER_PROVIDED' } : {};
        into.clusters.push({ name, value: { ...cluster, connect_timeout, ...fields, ...lb, ...(tls ? { transport_socket: tls } : {}) } });
        if (endpoints) into.endpoints.push({ name, value: endpoints });
      }
    }
  }
  into.clusters.sort(byName);
  into.endpoints.sort(byName);
  return into;
}

/**
 * With capture, the ServiceEntry ports the outbound listener routes by more than the port, as
 * istiod's outbound listener does: a TLS/HTTPS port by the SNI of each host (so TLS to a known
 * host is not passed through by address, and is let through under REGISTRY_ONLY); a TCP port by
 * the address apps resolve the host to (serviceEntryAddresses), when it has one.
 */
export function capturedExternalPorts(model: MeshModel): CapturedPort[] {
  const addresses = serviceEntryAddresses(model.serviceEntries);
  const byKey = new Map<string, CapturedPort>();
  for (const { host, entry } of externalHosts(model)) {
    for (const port of entry.ports) {
      const kind = portKind(port.protocol);
      const cluster = outboundCluster(port.number, undefined, host);
      const address = addresses.get(host);
      const captured = kind === 'tls' ? { port: port.number, cluster, serverName: host } : kind === 'tcp' && address ? { port: port.number, cluster, address } : undefined;
      if (!captured) continue;
      const key = `${captured.port} ${captured.serverName ?? ''} ${captured.address ?? ''}`;
      if (!byKey.has(key)) byKey.set(key, captured);
    }
  }
  return [...byKey.values()];
}
