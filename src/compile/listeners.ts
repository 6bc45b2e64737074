// Listeners: the sidecar's outbound HTTP listener (RDS `outbound`), its tcp_proxy listeners for
// tcp service ports, its inbound listeners to the app, and the gateway's per-port listeners.
// Each builder takes what it needs, so index.ts can share equal listeners between proxies.
import type { MeshModel, VirtualServiceModel } from '../config/model.ts';
import type { FieldPatterns } from '../config/not-applied.ts';
import type { ServicePort } from '../config/schema/mesh.ts';
import { ADS, socketAddress, typed } from './envoy-json.ts';
import { inboundCluster } from '../config/names.ts';
import { CONTROL_CLUSTER, gatewayListener, gatewayRoutes, inboundListener, OUTBOUND, PASSTHROUGH_CLUSTER, TUNNEL } from './names.ts';
import { TRACING } from './tracing.ts';
import { TAP_RUNTIME_KEY } from './runtime.ts';
import { CORS_FILTER, FAULT_FILTER, forwardedTo, inboundRouteConfig, resolveDestination, type MatchFilter } from './routes.ts';
import type { EnvoyJson, Resource } from '../envoy/snapshot.ts';
import type { ServedMtls } from '../config/mtls.ts';
import { downstreamMtls, ISTIO_ALPN, TLS_INSPECTOR } from './tls.ts';
import { DYNAMIC_FORWARD_PROXY_FILTER } from './external.ts';

/** The Istio fields these listeners apply (those accepted but not: src/config/not-applied.ts). */
export const APPLIED_BY_LISTENERS: FieldPatterns = { VirtualService: ['spec.tcp.*.route', 'spec.tcp.*.match.*.port'] };

const ORIGINAL_DST = {
  name: 'envoy.filters.listener.original_dst',
  typed_config: typed('extensions.filters.listener.original_dst.v3.OriginalDst'),
};

/**
 * Fault and CORS sit in every chain whose routes come over RDS (inert without per-route config), so
 * route edits stay RDS-only. The inbound chains' routes are their own (inboundRouteConfig: never a
 * fault or a CORS policy; those apply where the caller's route is, as in Istio): there they would be
 * a cost per request for nothing (bench/datapath).
 */
const CORS = { name: CORS_FILTER, typed_config: typed('extensions.filters.http.cors.v3.Cors') };
const ROUTER = { name: 'envoy.filters.http.router', typed_config: typed('extensions.filters.http.router.v3.Router') };
const AFTER_SECURITY = [{ name: FAULT_FILTER, typed_config: typed('extensions.filters.http.fault.v3.HTTPFault') }, ROUTER];
const HTTP_FILTERS = [CORS, ...AFTER_SECURITY];

/** The request headers each access log entry carries (what `mesh tap --header` can filter on). */
export const LOGGED_HEADERS = ['user-agent', 'end-user', 'x-b3-traceid', 'traceparent', 'content-type'];

/**
 * Every request's log entry, streamed to the control plane over gRPC (ALS, on the xDS port) for
 * `mesh tap`; the log name is the listener's stat prefix. Flushed every 0.2 s so a tap shows a
 * request within a second. Only while someone watches: the runtime key (compile/runtime.ts) says
 * which share of requests is logged, none unless the control plane's runtime layer says so.
 */
function accessLog(logName: string): EnvoyJson[] {
  return [
    {
      name: 'envoy.access_loggers.http_grpc',
      filter: { runtime_filter: { runtime_key: TAP_RUNTIME_KEY, percent_sampled: { numerator: 0, denominator: 'HUNDRED' } } },
      typed_config: typed('extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig', {
        common_config: {
          log_name: logName,
          grpc_service: { envoy_grpc: { cluster_name: CONTROL_CLUSTER } },
          transport_api_version: 'V3',
          buffer_flush_interval: '0.2s',
        },
        additional_request_headers_to_log: LOGGED_HEADERS,
      }),
    },
  ];
}

interface ManagerOptions {
  upgrades?: string[];
  /** jwt_authn and RBAC (security-filters.ts), after CORS (a preflight is answered before them) as on Istio's gateway. */
  security?: readonly EnvoyJson[];
  /** The dynamic forward proxy filter before the router (HTTP-proxy mode's outbound chains). */
  forwardProxy?: boolean;
  /** The routes are the chain's own, never with fault or CORS config (inbound): no such filters. */
  ownRoutes?: boolean;
}

function httpConnectionManager(statPrefix: string, routes: EnvoyJson, options: ManagerOptions = {}): EnvoyJson {
  const { upgrades = ['websocket'], security = [], forwardProxy = false, ownRoutes = false } = options;
  const filters = ownRoutes ? [...security, ROUTER] : security.length === 0 ? HTTP_FILTERS : [CORS, ...security, ...AFTER_SECURITY];
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: typed('extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
      stat_prefix: statPrefix,
      ...routes,
      access_log: accessLog(statPrefix),
      tracing: TRACING,
      http_filters: forwardProxy ? [...filters.slice(0, -1), DYNAMIC_FORWARD_PROXY_FILTER, filters.at(-1)!] : filters,
      upgrade_configs: upgrades.map((upgrade_type) => ({ upgrade_type })),
    }),
  };
}

const FORWARD_CLIENT_CERT: EnvoyJson = {
  forward_client_cert_details: 'APPEND_FORWARD',
  set_current_client_cert_details: { subject: true, dns: true, uri: true },
};

function named(name: string, fields: EnvoyJson): Resource {
  return { name, value: { name, ...fields } };
}

function rds(name: string): EnvoyJson {
  return { rds: { route_config_name: name, config_source: ADS } };
}

export interface WeightedCluster {
  cluster: string;
  weight: number;
}

function tcpProxy(statPrefix: string, targets: readonly WeightedCluster[]): EnvoyJson {
  const destination =
    targets.length === 1
      ? { cluster: targets[0]!.cluster }
      : { weighted_clusters: { clusters: targets.map((t) => ({ name: t.cluster, weight: t.weight })) } };
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: typed('extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: statPrefix, ...destination }),
  };
}

// ---------- sidecar outbound ----------

/**
 * The outbound HTTP listener. With capture it takes every connection (original destination):
 * HTTP service ports go to the routes, tcp service ports are handed to their own listeners
 * (`use_original_dst`), anything else goes to `unknown` (PassthroughCluster, or BlackHoleCluster
 * with REGISTRY_ONLY). Without capture it is an HTTP proxy that
 * also terminates CONNECT (fetch/undici) into the tunnel listener.
 */
/** With capture, a ServiceEntry port the outbound listener picks by more than its number: the TLS server name, or the host's address. */
export interface CapturedPort {
  port: number;
  cluster: string;
  /** Where it goes instead of `cluster`: the host's mesh `tls` routes (routes.ts meshTlsTargets). */
  targets?: readonly WeightedCluster[];
  serverName?: string;
  address?: string;
}

/** The chains of captured ServiceEntry ports, and the TLS inspector reading SNI on their ports only (server-first protocols elsewhere never wait for it). */
function capturedChains(captured: readonly CapturedPort[]): { chains: EnvoyJson[]; inspector?: EnvoyJson } {
  const chains = captured.map((c) => ({
    name: c.cluster,
    filter_chain_match: {
      destination_port: c.port,
      ...(c.address ? { prefix_ranges: [{ address_prefix: c.address, prefix_len: 32 }] } : {}),
      ...(c.serverName ? { server_names: [c.serverName] } : {}),
    },
    filters: [tcpProxy(c.cluster, c.targets ?? [{ cluster: c.cluster, weight: 100 }])],
  }));
  const ports = [...new Set(captured.filter((c) => c.serverName).map((c) => c.port))].sort((a, b) => a - b);
  if (ports.length === 0) return { chains };
  const rules = ports.map((p) => ({ destination_port_range: { start: p, end: p + 1 } }));
  const only = rules.length === 1 ? rules[0]! : { or_match: { rules } };
  return { chains, inspector: { ...TLS_INSPECTOR, filter_disabled: { not_match: only } } };
}

export function outboundListener(
  address: string,
  port: number,
  capture: boolean,
  httpPorts: readonly number[],
  unknown = PASSTHROUGH_CLUSTER,
  captured: readonly CapturedPort[] = [],
): Resource {
  const hcm = capture
    ? httpConnectionManager(OUTBOUND, rds(OUTBOUND))
    : httpConnectionManager(OUTBOUND, rds(OUTBOUND), { upgrades: ['websocket', 'CONNECT'], forwardProxy: true });
  const external = capturedChains(captured);
  const fields: EnvoyJson = capture
    ? {
        address: socketAddress(address, port),
        use_original_dst: true,
        listener_filters: [ORIGINAL_DST, ...(external.inspector ? [external.inspector] : [])],
        filter_chains: [
          ...httpPorts.map((p) => ({ name: `${OUTBOUND}_${p}`, filter_chain_match: { destination_port: p }, filters: [hcm] })),
          ...external.chains,
        ],
        default_filter_chain: { name: unknown, filters: [tcpProxy(unknown, [{ cluster: unknown, weight: 100 }])] },
      }
    : { address: socketAddress(address, port), filter_chains: [{ filters: [hcm] }] };
  // OUTBOUND: Envoy's tracer names its spans `egress` and makes them client spans.
  return named(OUTBOUND, { traffic_direction: 'OUTBOUND', ...fields });
}

/** HTTP-proxy mode: the bytes inside a CONNECT tunnel, routed by the same `outbound` routes. */
export function tunnelListener(): Resource {
  return named(TUNNEL, { traffic_direction: 'OUTBOUND', internal_listener: {}, filter_chains: [{ filters: [httpConnectionManager(TUNNEL, rds(OUTBOUND), { forwardProxy: true })] }] });
}

/** A tcp service port: its own listener (with capture: not bound, reached through `outbound`). */
export function tcpListener(name: string, address: string, port: number, capture: boolean, targets: readonly WeightedCluster[]): Resource {
  return named(name, {
    address: socketAddress(address, port),
    ...(capture ? { bind_to_port: false } : {}),
    filter_chains: [{ filters: [tcpProxy(name, targets)] }],
  });
}

/** Where a VirtualService's `tcp` routes send a port's connections: the first route that applies. */
export function tcpTargets(
  model: MeshModel,
  vs: VirtualServiceModel | undefined,
  port: number,
  applies: MatchFilter,
): WeightedCluster[] | undefined {
  const scope = { model, listenerPort: port, applies };
  const route = vs?.spec.tcp?.find(
    (r) => r.route?.length && (!r.match?.length || r.match.some((m) => (m.port === undefined || m.port === port) && applies(m, vs))),
  );
  if (!vs || !route) return undefined;
  return forwardedTo(route.route!).map((d) => ({ cluster: resolveDestination(scope, vs, d.destination).cluster, weight: d.weight ?? 100 }));
}

// ---------- sidecar inbound ----------

/**
 * One inbound listener for the service ports that share a listen port. With several ports (or
 * capture, where every port arrives on one) the original destination port picks the chain.
 */
export function inboundListenerFor(
  address: string,
  listenPort: number,
  ports: readonly ServicePort[],
  capture: boolean,
  mtls: (port: ServicePort) => ServedMtls | undefined = () => undefined,
  /** jwt_authn and RBAC for an HTTP port, network RBAC for a tcp one (security-filters.ts). */
  security: (port: ServicePort) => readonly EnvoyJson[] = () => [],
): Resource {
  const byDestination = capture || ports.length > 1;
  const modes = ports.map((p) => mtls(p));
  const inspect = modes.some((m) => m === 'STRICT' || m === 'PERMISSIVE');
  const listenerFilters = [...(byDestination ? [ORIGINAL_DST] : []), ...(inspect ? [TLS_INSPECTOR] : [])];
  return named(inboundListener(listenPort), {
    address: socketAddress(address, listenPort),
    ...(listenerFilters.length > 0 ? { listener_filters: listenerFilters } : {}),
    filter_chains: ports.flatMap((p, i) => {
      const port = byDestination ? { destination_port: p.port } : {};
      // Over mTLS the app hears who called: the peer's SPIFFE id in x-forwarded-client-cert, as Istio's.
      const filters = (mtls: boolean) =>
        p.protocol === 'tcp'
          ? [...security(p), tcpProxy(inboundCluster(p.port), [{ cluster: inboundCluster(p.port), weight: 100 }])]
          : [httpConnectionManager(`inbound_${p.port}`, { route_config: inboundRouteConfig(p), ...(mtls ? FORWARD_CLIENT_CERT : {}) }, { security: security(p), ownRoutes: true })];
      const plain = { name: inboundCluster(p.port), ...(byDestination ? { filter_chain_match: port } : {}), filters: filters(false) };
      const mode = modes[i];
      if (mode !== 'STRICT' && mode !== 'PERMISSIVE') return [plain];
      // STRICT: only a TLS handshake finds a chain; a plain-text connection is closed.
      const tls = {
        name: `${inboundCluster(p.port)}-mtls`,
        filter_chain_match: { ...port, transport_protocol: 'tls', ...(mode === 'PERMISSIVE' ? { application_protocols: ISTIO_ALPN } : {}) },
        filters: filters(true),
        transport_socket: downstreamMtls(),
      };
      return mode === 'STRICT' ? [tls] : [tls, plain];
    }),
  });
}

// ---------- gateway ----------

/** One filter chain of a TLS gateway port: an HTTPS server (RDS `routes`) or a TLS one forwarding to `targets`. */
export interface GatewayChain {
  name: string;
  /** SNI names the chain takes; none for any. */
  serverNames: string[];
  /** Terminates TLS; absent for passthrough. */
  transportSocket?: EnvoyJson;
  routes?: string;
  targets?: readonly WeightedCluster[];
  /** The chain's AuthorizationPolicy/JWT filters: HTTP filters of an HTTPS server, network RBAC before tcp_proxy else. */
  security?: readonly EnvoyJson[];
}

/** A port of HTTPS and TLS servers: TLS inspection reads the SNI, a chain per server (or per TLS route, passing through). */
export function gatewayTlsListener(address: string, listenPort: number, serverPort: number, chains: readonly GatewayChain[]): Resource {
  return named(gatewayListener(serverPort), {
    address: socketAddress(address, listenPort),
    listener_filters: [TLS_INSPECTOR],
    filter_chains: chains.map((c) => ({
      name: c.name,
      ...(c.serverNames.length > 0 ? { filter_chain_match: { server_names: c.serverNames } } : {}),
      filters: c.routes !== undefined
        ? [httpConnectionManager(c.name, rds(c.routes), { ...(c.security ? { security: c.security } : {}) })]
        : [...(c.security ?? []), tcpProxy(c.name, c.targets ?? [])],
      ...(c.transportSocket ? { transport_socket: c.transportSocket } : {}),
    })),
  });
}

/** A Gateway server port: HTTP servers route by RDS `http.PORT`; TCP servers forward to `targets`. */
export function gatewayListenerFor(
  address: string,
  listenPort: number,
  serverPort: number,
  targets?: readonly WeightedCluster[],
  security: readonly EnvoyJson[] = [],
): Resource {
  const name = gatewayListener(serverPort);
  const filters = targets ? [...security, tcpProxy(name, targets)] : [httpConnectionManager(name, rds(gatewayRoutes(serverPort)), { security })];
  return named(name, { address: socketAddress(address, listenPort), filter_chains: [{ filters }] });
}
