// Clusters: `outbound|PORT||FQDN` for every service port, `outbound|PORT|SUBSET|FQDN` for every
// DestinationRule subset, `inbound|PORT||` for a sidecar's own app. DestinationRule traffic
// policies become load balancing, circuit breakers, protocol options and outlier detection.
import type { MeshModel, ServiceModel } from '../config/model.ts';
import type { Protocol, ServicePort } from '../config/schema/mesh.ts';
import type { ConnectionPoolSettings, LoadBalancerSettings, OutlierDetection, TrafficPolicy } from '../config/schema/istio.ts';
import { toEnvoyDuration } from '../config/duration.ts';
import type { FieldPatterns } from '../config/not-applied.ts';
import type { Addressing, SocketAddress } from './addressing.ts';
import { allIps, loadAssignment, subsetVersions, versionEndpoints } from './endpoints.ts';
import { ADS, typed } from './envoy-json.ts';
import { inboundCluster, outboundCluster } from '../config/names.ts';
import { PASSTHROUGH_CLUSTER, TUNNEL } from './names.ts';
import { destinationRuleFor } from './lookup.ts';
import { trafficPolicy } from './policy.ts';
import { acceptsMtls } from '../config/mtls.ts';
import { istioSni, upstreamMtls } from './tls.ts';
import type { EnvoyJson, Resource } from '../envoy/snapshot.ts';

/** The Istio fields these clusters apply (those accepted but not: src/config/not-applied.ts). */
export const APPLIED_BY_CLUSTERS: FieldPatterns = {
  DestinationRule: [
    'spec.host',
    'spec.subsets.*.name',
    'spec.subsets.*.labels',
    'spec.**.loadBalancer.simple',
    'spec.**.loadBalancer.warmupDurationSecs',
    'spec.**.loadBalancer.consistentHash.ringHash',
    'spec.**.loadBalancer.consistentHash.maglev',
    'spec.**.loadBalancer.consistentHash.minimumRingSize',
    'spec.**.connectionPool.tcp',
    'spec.**.connectionPool.http',
    'spec.**.outlierDetection',
  ],
};

const CONNECT_TIMEOUT = '10s';
const UINT32_MAX = 4_294_967_295;
const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export interface ClusterSet {
  clusters: Resource[];
  /** EDS resources for the clusters of type EDS, same names. */
  endpoints: Resource[];
}

/** Every outbound cluster of the mesh, sorted by name; the same for every proxy. */
export function outboundClusters(model: MeshModel, addressing: Addressing): ClusterSet {
  const out: ClusterSet = { clusters: [], endpoints: [] };
  for (const service of model.services) {
    const rule = destinationRuleFor(model, service.fqdn);
    const subsets = [undefined, ...(rule?.spec.subsets ?? [])];
    for (const port of service.ports) {
      for (const subset of subsets) {
        const name = outboundCluster(port.port, subset?.name, service.fqdn);
        const versions = subsetVersions(service, subset?.labels);
        const addresses = versionEndpoints(addressing, service, versions, port.port);
        const policy = trafficPolicy(rule, port.port, subset?.name);
        const { cluster, endpoints } = endpointCluster(name, addresses);
        // The DestinationRule's ISTIO_MUTUAL or DISABLE decides; without one, auto mTLS (what the servers accept).
        const mode = policy?.tls?.mode;
        const useMtls = mode === 'ISTIO_MUTUAL' || (mode !== 'DISABLE' && acceptsMtls(model, service, versions, port));
        const mtls = useMtls ? { transport_socket: upstreamMtls(istioSni(port.port, subset?.name, service.fqdn)) } : {};
        out.clusters.push({ name, value: { ...cluster, ...policyFields(policy, port.protocol), ...mtls } });
        if (endpoints) out.endpoints.push({ name, value: endpoints });
      }
    }
  }
  out.clusters.sort(byName);
  out.endpoints.sort(byName);
  return out;
}

/** `inbound|PORT||`: a sidecar's app on one service port. */
export function appCluster(port: ServicePort, app: SocketAddress): Resource {
  const name = inboundCluster(port.port);
  const value: EnvoyJson = {
    name,
    type: allIps([app]) ? 'STATIC' : 'STRICT_DNS',
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: 'ROUND_ROBIN',
    load_assignment: loadAssignment(name, [app]),
    // Every request waiting for a restarting app may retry at once (Envoy's default allows 3).
    circuit_breakers: { thresholds: [{ max_retries: 1024 }] },
    ...protocolOptions(port.protocol, undefined),
  };
  return { name, value };
}

/** Connections to addresses outside the mesh go where they were going (transparent capture only). */
export function passthroughCluster(): Resource {
  return {
    name: PASSTHROUGH_CLUSTER,
    value: { name: PASSTHROUGH_CLUSTER, type: 'ORIGINAL_DST', connect_timeout: CONNECT_TIMEOUT, lb_policy: 'CLUSTER_PROVIDED' },
  };
}

/** HTTP-proxy mode: CONNECT tunnels are replayed into the internal listener of the same name. */
export function tunnelCluster(): Resource {
  return {
    name: TUNNEL,
    value: {
      name: TUNNEL,
      type: 'STATIC',
      connect_timeout: CONNECT_TIMEOUT,
      load_assignment: {
        cluster_name: TUNNEL,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: TUNNEL } } } }] }],
      },
    },
  };
}

export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function servicePort(service: ServiceModel, port: number): ServicePort | undefined {
  return service.ports.find((p) => p.port === port);
}

export function endpointCluster(name: string, addresses: SocketAddress[]): { cluster: EnvoyJson; endpoints?: EnvoyJson } {
  if (allIps(addresses)) {
    return {
      cluster: { name, type: 'EDS', eds_cluster_config: { eds_config: ADS } },
      endpoints: loadAssignment(name, addresses),
    };
  }
  return {
    cluster: { name, type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY', load_assignment: loadAssignment(name, addresses) },
  };
}

type Policy = Omit<TrafficPolicy, 'portLevelSettings'>;

/** A DestinationRule policy as cluster fields: timeouts, load balancing, limits, outlier detection, protocol. */
export function policyFields(policy: Policy | undefined, protocol: Protocol): EnvoyJson {
  const pool = policy?.connectionPool;
  return {
    connect_timeout: pool?.tcp?.connectTimeout ? toEnvoyDuration(pool.tcp.connectTimeout) : CONNECT_TIMEOUT,
    ...loadBalancing(policy?.loadBalancer),
    circuit_breakers: { thresholds: [circuitBreakers(pool)] },
    ...keepalive(pool),
    ...outlierDetection(policy?.outlierDetection),
    ...protocolOptions(protocol, pool),
  };
}

function loadBalancing(lb: LoadBalancerSettings | undefined): EnvoyJson {
  const hash = lb?.consistentHash;
  if (hash) {
    if (hash.maglev) return { lb_policy: 'MAGLEV', ...(hash.maglev.tableSize ? { maglev_lb_config: { table_size: hash.maglev.tableSize } } : {}) };
    return {
      lb_policy: 'RING_HASH',
      ring_hash_lb_config: { minimum_ring_size: hash.ringHash?.minimumRingSize ?? hash.minimumRingSize ?? 1024 },
    };
  }
  const warmup = lb?.warmupDurationSecs ? { slow_start_config: { slow_start_window: toEnvoyDuration(lb.warmupDurationSecs) } } : undefined;
  switch (lb?.simple) {
    case 'LEAST_CONN':
    case 'LEAST_REQUEST':
      return { lb_policy: 'LEAST_REQUEST', ...(warmup ? { least_request_lb_config: warmup } : {}) };
    case 'RANDOM':
      return { lb_policy: 'RANDOM' };
    default:
      return { lb_policy: 'ROUND_ROBIN', ...(warmup ? { round_robin_lb_config: warmup } : {}) };
  }
}

function circuitBreakers(pool: ConnectionPoolSettings | undefined): EnvoyJson {
  const positive = (n: number | undefined) => (n !== undefined && n > 0 ? n : UINT32_MAX);
  return {
    max_connections: positive(pool?.tcp?.maxConnections),
    max_pending_requests: positive(pool?.http?.http1MaxPendingRequests),
    max_requests: positive(pool?.http?.http2MaxRequests),
    max_retries: positive(pool?.http?.maxRetries),
    track_remaining: true,
  };
}

function keepalive(pool: ConnectionPoolSettings | undefined): EnvoyJson {
  const k = pool?.tcp?.tcpKeepalive;
  if (!k) return {};
  const seconds = (d: string) => Math.max(1, Math.round(Number.parseFloat(toEnvoyDuration(d))));
  return {
    upstream_connection_options: {
      tcp_keepalive: {
        ...(k.probes !== undefined ? { keepalive_probes: k.probes } : {}),
        ...(k.time ? { keepalive_time: seconds(k.time) } : {}),
        ...(k.interval ? { keepalive_interval: seconds(k.interval) } : {}),
      },
    },
  };
}

/** Istio's mapping: enforcement 100% for the error kinds given, success-rate ejection off. */
function outlierDetection(o: OutlierDetection | undefined): EnvoyJson {
  if (!o) return {};
  const out: EnvoyJson = { enforcing_success_rate: 0 };
  if (o.consecutive5xxErrors !== undefined) {
    out['consecutive_5xx'] = o.consecutive5xxErrors;
    out['enforcing_consecutive_5xx'] = o.consecutive5xxErrors > 0 ? 100 : 0;
  }
  if (o.consecutiveGatewayErrors !== undefined) {
    out['consecutive_gateway_failure'] = o.consecutiveGatewayErrors;
    out['enforcing_consecutive_gateway_failure'] = o.consecutiveGatewayErrors > 0 ? 100 : 0;
  }
  if (o.consecutiveErrors !== undefined && o.consecutive5xxErrors === undefined && o.consecutiveGatewayErrors === undefined) {
    // The deprecated field counts gateway errors only (502, 503, 504), as Istio maps it.
    out['consecutive_gateway_failure'] = o.consecutiveErrors;
    out['enforcing_consecutive_gateway_failure'] = 100;
    out['enforcing_consecutive_5xx'] = 0;
  }
  if (o.interval) out['interval'] = toEnvoyDuration(o.interval);
  if (o.baseEjectionTime) out['base_ejection_time'] = toEnvoyDuration(o.baseEjectionTime);
  if (o.maxEjectionPercent !== undefined && o.maxEjectionPercent > 0) out['max_ejection_percent'] = o.maxEjectionPercent;
  if (o.splitExternalLocalOriginErrors) {
    out['split_external_local_origin_errors'] = true;
    if (o.consecutiveLocalOriginFailures) {
      out['consecutive_local_origin_failure'] = o.consecutiveLocalOriginFailures;
      out['enforcing_consecutive_local_origin_failure'] = 100;
    }
    out['enforcing_local_origin_success_rate'] = 0;
  }
  // Istio turns the panic threshold off unless minHealthPercent asks for one.
  return { outlier_detection: out, common_lb_config: { healthy_panic_threshold: { value: o.minHealthPercent ?? 0 } } };
}

/** HTTP/2 to http2/grpc ports (or when the rule asks for the upgrade), plus the pool's HTTP limits. */
function protocolOptions(protocol: Protocol, pool: ConnectionPoolSettings | undefined): EnvoyJson {
  if (protocol === 'tcp') return {};
  const http = pool?.http;
  const h2 = http?.h2UpgradePolicy === 'UPGRADE' || ((protocol === 'http2' || protocol === 'grpc') && http?.h2UpgradePolicy !== 'DO_NOT_UPGRADE');
  const common: EnvoyJson = {};
  const idle = http?.idleTimeout ?? pool?.tcp?.idleTimeout;
  if (idle) common['idle_timeout'] = toEnvoyDuration(idle);
  if (http?.maxRequestsPerConnection) common['max_requests_per_connection'] = http.maxRequestsPerConnection;
  if (pool?.tcp?.maxConnectionDuration) common['max_connection_duration'] = toEnvoyDuration(pool.tcp.maxConnectionDuration);
  const h2Options = http?.maxConcurrentStreams ? { max_concurrent_streams: http.maxConcurrentStreams } : {};
  const upstream = http?.useClientProtocol
    ? { use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: h2Options } }
    : { explicit_http_config: h2 ? { http2_protocol_options: h2Options } : { http_protocol_options: {} } };
  if (!h2 && !http?.useClientProtocol && Object.keys(common).length === 0) return {};
  return {
    typed_extension_protocol_options: {
      [HTTP_PROTOCOL_OPTIONS]: typed('extensions.upstreams.http.v3.HttpProtocolOptions', {
        ...(Object.keys(common).length > 0 ? { common_http_protocol_options: common } : {}),
        ...upstream,
      }),
    },
  };
}
