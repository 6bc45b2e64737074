// RouteConfigurations: the sidecar's `outbound` (a virtual host per HTTP service port), the
// gateway's `http.PORT`, and the inline inbound route to the app. VirtualService HTTP routes
// become Envoy routes in order (first match wins; each match block is one route).
import type { MeshModel, ServiceModel, VirtualServiceModel } from '../config/model.ts';
import type { StringMatch } from '../config/schema/common.ts';
import type {
  Destination,
  Headers,
  HTTPMatchRequest,
  HTTPRoute,
  HTTPRouteDestination,
} from '../config/schema/istio.ts';
import type { ServicePort } from '../config/schema/mesh.ts';
import type { ServiceEntryPort } from '../config/schema/service-entry.ts';
import { toEnvoyDuration } from '../config/duration.ts';
import type { FieldPatterns } from '../config/not-applied.ts';
import { fractionalPercent, stringMatcher, typed } from './envoy-json.ts';
import { inboundCluster, outboundCluster } from '../config/names.ts';
import { PASSTHROUGH_CLUSTER, TUNNEL, virtualHost } from './names.ts';
import { destinationRuleFor, externalVirtualService, meshVirtualService, serviceFor } from './lookup.ts';
import { externalHosts } from './external.ts';
import { portKind } from '../config/service-entries.ts';
import { findServiceEntry } from '../config/model.ts';
import { exportedTo } from '../config/namespace-view.ts';
import { trafficPolicy } from './policy.ts';
import { contentKey } from './memo.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';

const under = (prefix: string, fields: string[]) => fields.map((f) => `${prefix}.${f}`);

/** The Istio fields these route configurations apply (those accepted but not: src/config/not-applied.ts). */
export const APPLIED_BY_ROUTES: FieldPatterns = {
  VirtualService: [
    'spec.hosts',
    'spec.gateways',
    ...under('spec.http.*', ['name', 'route', 'timeout', 'headers', 'rewrite', 'directResponse', 'corsPolicy']),
    ...under('spec.http.*', ['mirror', 'mirrors', 'mirrorPercent', 'mirrorPercentage']),
    ...under('spec.http.*.match.*', ['name', 'uri', 'scheme', 'method', 'authority', 'headers', 'withoutHeaders', 'queryParams']),
    ...under('spec.http.*.match.*', ['ignoreUriCase', 'port', 'statPrefix']),
    ...under('spec.http.*.redirect', ['uri', 'authority', 'port', 'scheme', 'redirectCode']),
    ...under('spec.http.*.retries', ['attempts', 'perTryTimeout', 'retryOn', 'retryIgnorePreviousHosts', 'backoff']),
    ...under('spec.http.*.fault.delay', ['fixedDelay', 'percentage', 'percent']),
    ...under('spec.http.*.fault.abort', ['httpStatus', 'grpcStatus', 'percentage', 'percent']),
  ],
  // Consistent hashing on a key of the request is a hash policy of the route.
  DestinationRule: under('spec.**.loadBalancer.consistentHash', ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName']),
  Gateway: ['spec.servers.*.hosts'],
};

export const FAULT_FILTER = 'envoy.filters.http.fault';
export const CORS_FILTER = 'envoy.filters.http.cors';
/** The parts of an HTTP or TCP match block that say where it applies. */
export interface MatchScope {
  port?: number;
  sourceLabels?: Record<string, string>;
  /** The namespace of the calling proxy (a sidecar's, a gateway proxy's). */
  sourceNamespace?: string;
  gateways?: string[];
}

/** Which match blocks apply where the route configuration is built. */
export type MatchFilter = (match: MatchScope, vs: VirtualServiceModel) => boolean;

export interface RouteScope {
  model: MeshModel;
  applies: MatchFilter;
  /** The port the request came in on: a destination without a port on a multi-port service goes there. */
  listenerPort: number;
}

// ---------- the configurations ----------

/** A compile memo's `keep` for the virtual hosts of one route configuration (compile/memo.ts). */
export type KeepHost = (key: string, build: () => EnvoyJson) => EnvoyJson;

/**
 * A sidecar's outbound routes. `applies` decides the per-proxy parts (sourceLabels, gateways);
 * `capture` adds the passthrough host for traffic leaving the mesh; `tunnel` accepts CONNECT.
 * `keep` gives each virtual host of a service the last compile's object while the VirtualService
 * routing it (its key) is the same; what else they read is the memo's base.
 */
export function sidecarRouteConfig(
  model: MeshModel,
  name: string,
  applies: MatchFilter,
  options: { capture: boolean; tunnel: boolean; registryOnly?: boolean; namespace?: string },
  keep: KeepHost = (_, build) => build(),
): EnvoyJson {
  const virtualHosts: EnvoyJson[] = [];
  for (const service of model.services) {
    const vs = meshVirtualService(model, service);
    const routedBy = contentKey(vs);
    for (const port of service.ports) {
      if (port.protocol === 'tcp') continue;
      virtualHosts.push(keep(`service ${service.fqdn} ${port.port} ${routedBy}`, () => {
        const scope: RouteScope = {
          model,
          listenerPort: port.port,
          applies: (m, v) => (m.port === undefined || m.port === port.port) && applies(m, v),
        };
        let routes = vs ? httpRoutes(scope, vs) : [];
        if (routes.length === 0) routes = [defaultRoute(model, service.fqdn, port.port)];
        if (options.tunnel) routes = [connectRoute(), ...routes];
        return { name: virtualHost(service.fqdn, port.port), domains: serviceDomains(service, port.port, options.namespace), routes };
      }));
    }
  }
  // A Service naming versions of another (reviews-v1) is a host too: calls to it go to its subset.
  for (const version of model.versionServices ?? []) {
    const service = serviceFor(model, version.service, version.namespace);
    if (!service) continue;
    for (const port of version.ports) {
      if (port.protocol === 'tcp') continue;
      virtualHosts.push(keep(`version ${version.fqdn} ${port.port}`, () => {
        const routes = [...(options.tunnel ? [connectRoute()] : []), defaultRoute(model, service.fqdn, port.port, version.name)];
        return { name: virtualHost(version.fqdn, port.port), domains: serviceDomains(version, port.port, options.namespace), routes };
      }));
    }
  }
  virtualHosts.push(...externalVirtualHosts(model, applies, options.tunnel, options.namespace, keep));
  virtualHosts.push(keep('unknown', () => unknownHosts(options)));
  return { name, virtual_hosts: virtualHosts, validate_clusters: false };
}

/**
 * The hosts of ServiceEntries, as Istio routes them: a virtual host per host and HTTP port, the
 * host's VirtualService (bound to `mesh`) or its cluster; in HTTP-proxy mode, a CONNECT to a TLS
 * (or TCP) port of the host is tunnelled to that port's cluster, bytes as they are.
 */
function externalVirtualHosts(model: MeshModel, applies: MatchFilter, tunnel: boolean, namespace: string | undefined, keep: KeepHost): EnvoyJson[] {
  const out: EnvoyJson[] = [];
  for (const { host, entry } of externalHosts(model)) {
    const vs = externalVirtualService(model, host);
    const routedBy = contentKey(vs);
    entry.ports.forEach((port, i) => {
      const made = keep(`external ${host} ${i} ${routedBy}`, () => externalVirtualHost(model, applies, tunnel, namespace, host, vs, port));
      if (made !== NO_HOST) out.push(made);
    });
  }
  return out;
}

/** No virtual host (a port the sidecar does not route), kept as a virtual host would be. */
const NO_HOST: EnvoyJson = {};

function externalVirtualHost(
  model: MeshModel,
  applies: MatchFilter,
  tunnel: boolean,
  namespace: string | undefined,
  host: string,
  vs: VirtualServiceModel | undefined,
  port: ServiceEntryPort,
): EnvoyJson {
  const kind = portKind(port.protocol);
  if (kind === 'udp' || (kind !== 'http' && !tunnel)) return NO_HOST;
  const cluster = outboundCluster(port.number, undefined, host);
  let routes: EnvoyJson[];
  if (kind === 'http') {
    const scope: RouteScope = { model, listenerPort: port.number, applies: (m, v) => (m.port === undefined || m.port === port.number) && applies(m, v) };
    routes = vs ? httpRoutes(scope, vs) : [];
    if (routes.length === 0) routes = [defaultRoute(model, host, port.number)];
    if (tunnel) routes = [connectRoute(), ...routes];
  } else {
    // A TLS port's tunnel goes where the host's mesh `tls` routes send it (one destination), else to its cluster.
    const targets = kind === 'tls' ? meshTlsTargets(model, host, port.number, namespace) : undefined;
    routes = [connectRoute(targets?.length === 1 ? targets[0]!.cluster : cluster)];
  }
  return { name: virtualHost(host, port.number), domains: hostPortDomains(host, port.number), routes };
}

/**
 * Where a sidecar sends TLS to a ServiceEntry host's port by the `tls` routes of the host's
 * VirtualService bound to `mesh`: the first route with a match for the port whose `sniHosts`
 * cover the host (Istio's egress gateway task sends it to the egress gateway so); undefined for
 * the host's own cluster.
 */
export function meshTlsTargets(model: MeshModel, host: string, port: number, namespace: string | undefined): { cluster: string; weight: number }[] | undefined {
  const vs = externalVirtualService(model, host);
  const applies: MatchFilter = (m) =>
    m.sourceLabels === undefined && (m.sourceNamespace === undefined || m.sourceNamespace === namespace) && (m.gateways === undefined || m.gateways.includes('mesh'));
  const route = vs?.spec.tls?.find((r) => r.route?.length && r.match.some((m) => (m.port === undefined || m.port === port) && applies(m, vs) && m.sniHosts.some((sni) => hostCovers(sni, host))));
  if (!vs || !route) return undefined;
  const scope: RouteScope = { model, listenerPort: port, applies };
  return forwardedTo(route.route!).map((d) => ({ cluster: resolveDestination(scope, vs, d.destination).cluster, weight: d.weight ?? 100 }));
}

/** A ServiceEntry host on one port: with the port, and bare on port 80 (what clients send as Host). */
function hostPortDomains(host: string, port: number): string[] {
  return port === 80 ? [host, `${host}:80`] : [`${host}:${port}`];
}

/**
 * Hosts the mesh does not know, by the outbound traffic policy: ALLOW_ANY passes them on to where
 * the app sent them (capture: the original destination; HTTP-proxy mode: the name it asked for,
 * CONNECT tunnels included); REGISTRY_ONLY answers 502, as Istio's `block_all` (inside a CONNECT
 * tunnel too).
 */
function unknownHosts(options: { capture: boolean; tunnel: boolean; registryOnly?: boolean }): EnvoyJson {
  if (options.registryOnly) {
    // A CONNECT is opened into the tunnel listener, where the request inside gets the same 502
    // (fetch sees Istio's answer, not a failed tunnel); TLS inside finds no HTTP and is closed.
    return {
      name: 'block_all',
      domains: ['*'],
      routes: [...(options.tunnel ? [connectRoute()] : []), { name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }],
    };
  }
  return {
    name: 'allow_any',
    domains: ['*'],
    routes: [
      ...(options.tunnel ? [{ ...connectRoute(PASSTHROUGH_CLUSTER), name: 'allow_any_connect' }] : []),
      { name: 'allow_any', match: { prefix: '/' }, route: { cluster: PASSTHROUGH_CLUSTER, timeout: '0s' } },
    ],
  };
}

export interface GatewayServerScope {
  /** `NAMESPACE/NAME` of the Gateway. */
  gateway: string;
  hosts: string[];
  /** `tls.httpsRedirect` of a plain text server: its hosts answer 301 to https. */
  httpsRedirect?: boolean;
}

/**
 * The ingress gateway's routes for one server port: hosts of the bound VirtualServices ∩ server
 * hosts. VirtualServices for the same host are merged, routes in file order (as Istio does at
 * gateways; sidecars take one VirtualService per host, see config/conflicts.ts).
 */
/** `namespace`: the gateway proxy's, which a match's `sourceNamespace` names to apply there. */
export function gatewayRouteConfig(model: MeshModel, name: string, port: number, servers: GatewayServerScope[], namespace: string): EnvoyJson {
  const byDomain = new Map<string, { routes: EnvoyJson[]; from: Set<VirtualServiceModel> }>();
  const redirected = new Set<string>();
  for (const server of servers) {
    const scope: RouteScope = {
      model,
      listenerPort: port,
      applies: (m, v) =>
        (m.port === undefined || m.port === port) &&
        m.sourceLabels === undefined &&
        (m.sourceNamespace === undefined || m.sourceNamespace === namespace) &&
        (m.gateways === undefined || m.gateways.some((g) => gatewayKey(g, v.namespace) === server.gateway)),
    };
    for (const vs of model.virtualServices) {
      if (!vs.gateways.includes(server.gateway) || !exportedTo(vs, namespace)) continue;
      const hosts = new Set(vs.spec.hosts.flatMap((h) => intersectHosts(h, server.hosts)).filter((h) => !byDomain.get(h)?.from.has(vs)));
      if (hosts.size === 0) continue;
      const routes = httpRoutes(scope, vs);
      if (routes.length === 0) continue;
      if (server.httpsRedirect) for (const host of hosts) redirected.add(host);
      for (const host of hosts) {
        const taken = byDomain.get(host);
        if (taken) {
          taken.routes = [...taken.routes, ...routes];
          taken.from.add(vs);
        } else byDomain.set(host, { routes, from: new Set([vs]) });
      }
    }
  }
  // httpsRedirect, as Istio's gateways: the server's hosts require TLS (a 301 to https), routes or not.
  for (const server of servers) {
    if (!server.httpsRedirect) continue;
    for (const raw of server.hosts) {
      const host = raw.includes('/') ? raw.slice(raw.indexOf('/') + 1) : raw;
      redirected.add(host);
      if (!byDomain.has(host)) byDomain.set(host, { routes: [], from: new Set() });
    }
  }
  const virtualHosts = [...byDomain.keys()]
    .sort()
    .map((host) => {
      const { routes, from } = byDomain.get(host)!;
      // Several HTTPRoutes for one host: their rules are ordered together, as the Gateway API orders them.
      const merged = from.size > 1 && [...from].every((vs) => vs.from) ? byPrecedence(routes) : routes;
      return { name: virtualHost(host, port), domains: hostDomains(host, port), routes: merged, ...(redirected.has(host) ? { require_tls: 'ALL' } : {}) };
    });
  return { name, virtual_hosts: virtualHosts, validate_clusters: false };
}

/**
 * Routes in the Gateway API's precedence (HTTPRouteRule): an exact path, a regex (Istio's place
 * for it), then the longest prefix; then a method match, more header matches, more query
 * matches. Stable: ties keep their order (file order stands for the API's creation time).
 */
function byPrecedence(routes: readonly EnvoyJson[]): EnvoyJson[] {
  const key = (route: EnvoyJson) => {
    const match = route['match'] as EnvoyJson;
    const headers = (match['headers'] as EnvoyJson[] | undefined) ?? [];
    const prefix = (match['path_separated_prefix'] ?? match['prefix']) as string | undefined;
    return {
      rank: match['path'] !== undefined ? 0 : match['safe_regex'] !== undefined ? 1 : 2,
      prefix: prefix?.length ?? 0,
      method: headers.some((h) => h['name'] === ':method') ? 1 : 0,
      headers: headers.filter((h) => h['name'] !== ':method').length,
      query: ((match['query_parameters'] as unknown[] | undefined) ?? []).length,
    };
  };
  return routes
    .map((route, order) => ({ route, order, k: key(route) }))
    .sort((a, b) => a.k.rank - b.k.rank || b.k.prefix - a.k.prefix || b.k.method - a.k.method || b.k.headers - a.k.headers || b.k.query - a.k.query || a.order - b.order)
    .map((r) => r.route);
}

/**
 * Requests the sidecar could not hand to its app (not listening: restarting after a code edit, or
 * started by the healer; a pooled connection the app closed as it stopped) wait for it, bounded:
 * up to 10 tries over about 4 s (Envoy's jittered backoff, 0.1 s doubling to 1 s), then 503. Only
 * failures before the request reached the app are tried again, so no request runs twice.
 */
const APP_RESTART_RETRY = {
  num_retries: 10,
  retry_on: 'connect-failure,reset-before-request',
  retry_back_off: { base_interval: '0.1s', max_interval: '1s' },
};

/** The inbound route to the app on one service port (inline in the inbound listener). */
export function inboundRouteConfig(port: ServicePort): EnvoyJson {
  const cluster = inboundCluster(port.port);
  return {
    name: cluster,
    virtual_hosts: [
      {
        name: cluster,
        domains: ['*'],
        routes: [
          {
            name: 'default',
            match: { prefix: '/' },
            route: {
              cluster,
              timeout: '0s',
              ...(port.protocol === 'grpc' ? {} : { retry_policy: APP_RESTART_RETRY }),
            },
          },
        ],
      },
    ],
    validate_clusters: false,
  };
}

// ---------- hosts ----------

/**
 * Names an app uses for a service: NAME.NS, NAME.NS.svc and the FQDN, and the short name from the
 * service's own namespace (`caller`; any when not given), with the port (and bare on port 80).
 */
function serviceDomains(service: Pick<ServiceModel, 'name' | 'namespace' | 'fqdn'>, port: number, caller?: string): string[] {
  const qualified = [`${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`, service.fqdn];
  const names = caller === undefined || caller === service.namespace ? [service.name, ...qualified] : qualified;
  return port === 80 ? [...names, ...names.map((n) => `${n}:80`)] : names.map((n) => `${n}:${port}`);
}

/**
 * A gateway host with and without a port, as Istio does: any port (the gateway is usually
 * reached through a published port that differs from the server port), except for a wildcard
 * host, where Envoy allows no second wildcard and the server port is kept.
 */
function hostDomains(host: string, port: number): string[] {
  if (host === '*') return ['*'];
  return [host, host.startsWith('*') ? `${host}:${port}` : `${host}:*`];
}

/** A VirtualService host as seen through a Gateway server's hosts (`ns/host` allowed): the hosts both cover. */
export function intersectHosts(vsHost: string, serverHosts: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of serverHosts) {
    const server = raw.includes('/') ? raw.slice(raw.indexOf('/') + 1) : raw;
    if (hostCovers(server, vsHost)) out.add(vsHost);
    else if (hostCovers(vsHost, server)) out.add(server);
  }
  return [...out];
}

/** Whether a (possibly wildcard) pattern covers a host: `*`, `*.example.com`, or exact. */
function hostCovers(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host !== '*';
  return pattern === host;
}

/** A Gateway reference as written in a VirtualService: `NAME` (same namespace) or `NS/NAME`. */
export function gatewayKey(ref: string, namespace: string): string {
  return ref.includes('/') ? ref : `${namespace}/${ref}`;
}

// ---------- routes ----------

function httpRoutes(scope: RouteScope, vs: VirtualServiceModel): EnvoyJson[] {
  return (vs.spec.http ?? []).flatMap((http, index) => {
    if (!http.route?.length && !http.redirect && !http.directResponse) return [];
    const matches = http.match?.filter((m) => scope.applies(m, vs));
    if (matches?.length === 0) return [];
    const name = http.name ?? `${vs.name}.${index}`;
    const action = routeAction(scope, vs, http);
    return (matches ?? [undefined]).map((match) => {
      const routeName = match?.name ? `${name}.${match.name}` : name;
      return {
        name: routeName,
        match: routeMatch(match, vs.from !== undefined),
        ...action,
        stat_prefix: match?.statPrefix ?? routeName,
      };
    });
  });
}

/** `segments`: a prefix matches whole path segments (the Gateway API's PathPrefix, as Istio applies it). */
function routeMatch(m: HTTPMatchRequest | undefined, segments: boolean): EnvoyJson {
  const out: EnvoyJson = {};
  const uri = m?.uri;
  if (uri?.exact !== undefined) out['path'] = uri.exact;
  else if (uri?.prefix !== undefined && segments && uri.prefix !== '/') out['path_separated_prefix'] = uri.prefix;
  else if (uri?.prefix !== undefined) out['prefix'] = uri.prefix;
  else if (uri?.regex !== undefined) out['safe_regex'] = { regex: uri.regex };
  else out['prefix'] = '/';
  if (m?.ignoreUriCase) out['case_sensitive'] = false;
  const headers = [
    ...Object.entries(m?.headers ?? {}).map(([name, match]) => headerMatcher(name, match, false)),
    ...Object.entries(m?.withoutHeaders ?? {}).map(([name, match]) => headerMatcher(name, match, true)),
  ];
  for (const [name, match] of [[':method', m?.method], [':authority', m?.authority], [':scheme', m?.scheme]] as const) {
    if (match) headers.push(headerMatcher(name, match, false));
  }
  if (headers.length > 0) out['headers'] = headers;
  const query = Object.entries(m?.queryParams ?? {}).map(([name, match]) => {
    const matcher = stringMatcher(match);
    return matcher ? { name, string_match: matcher } : { name, present_match: true };
  });
  if (query.length > 0) out['query_parameters'] = query;
  return out;
}

function headerMatcher(name: string, match: StringMatch, invert: boolean): EnvoyJson {
  const matcher = stringMatcher(match);
  return {
    name,
    ...(matcher ? { string_match: matcher } : { present_match: true }),
    ...(invert ? { invert_match: true } : {}),
  };
}

/** What a route does: redirect, direct response, or forward (with everything forwarding carries). */
function routeAction(scope: RouteScope, vs: VirtualServiceModel, http: HTTPRoute): EnvoyJson {
  const perFilter = perFilterConfig(http);
  const common = { ...headerOperations(http.headers), ...(perFilter ? { typed_per_filter_config: perFilter } : {}) };
  if (http.redirect) return { redirect: redirectAction(http.redirect), ...common };
  if (http.directResponse) return { direct_response: directResponse(http.directResponse), ...common };
  const destinations = forwardedTo(http.route ?? []);
  const targets = destinations.map((d) => ({ d, ...resolveDestination(scope, vs, d.destination) }));
  const action: EnvoyJson = {};
  let routeHeaders = common;
  if (targets.length === 1) {
    const only = targets[0]!;
    action['cluster'] = only.cluster;
    routeHeaders = mergeHeaderOperations(common, headerOperations(only.d.headers));
  } else if (targets.length > 1) {
    action['weighted_clusters'] = { clusters: targets.map((t) => weightedCluster(t.cluster, t.d)) };
  }
  const authority = http.rewrite?.authority ?? authorityHeader(http.headers) ?? (targets.length === 1 ? authorityHeader(targets[0]!.d.headers) : undefined);
  const separated = vs.from !== undefined && http.match?.length === 1 ? http.match[0]!.uri?.prefix : undefined;
  if (http.rewrite?.uri === '/' && separated !== undefined && separated !== '/') {
    // Istio, for Gateway API routes: removing the prefix keeps the `/` that starts the rest.
    action['regex_rewrite'] = { pattern: { regex: `^${escapeRegex(separated)}(/?)(.*)` }, substitution: '/\\2' };
  } else if (http.rewrite?.uri !== undefined) action['prefix_rewrite'] = http.rewrite.uri;
  if (http.rewrite?.uriRegexRewrite) {
    action['regex_rewrite'] = { pattern: { regex: http.rewrite.uriRegexRewrite.match }, substitution: http.rewrite.uriRegexRewrite.rewrite };
  }
  if (authority !== undefined) action['host_rewrite_literal'] = authority;
  action['timeout'] = http.timeout ? toEnvoyDuration(http.timeout) : '0s';
  const hashPolicies = targets.flatMap((t) => (t.hash ? [t.hash] : []));
  const retry = retryPolicy(http.retries, hashPolicies.length > 0);
  if (retry) action['retry_policy'] = retry;
  if (hashPolicies.length > 0) action['hash_policy'] = hashPolicies;
  const mirrors = mirrorPolicies(scope, vs, http);
  if (mirrors.length > 0) action['request_mirror_policies'] = mirrors;
  return { route: action, ...routeHeaders };
}

/** A literal as an RE2 pattern (Go's regexp.QuoteMeta). */
function escapeRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * The route a service gets without a VirtualService: all its versions, like a Kubernetes Service
 * (with `subset`, those of a Service that names some of them).
 */
function defaultRoute(model: MeshModel, host: string, port: number, subset?: string): EnvoyJson {
  const hash = hashPolicy(model, host, port, subset);
  return {
    name: 'default',
    match: { prefix: '/' },
    route: {
      cluster: outboundCluster(port, subset, host),
      timeout: '0s',
      retry_policy: retryPolicy(undefined, hash !== undefined),
      ...(hash ? { hash_policy: [hash] } : {}),
    },
  };
}

/**
 * HTTP-proxy mode: terminate `CONNECT host:port` and replay the tunnelled bytes through these
 * routes (the tunnel listener), or hand them to `cluster` as they are (TLS to an external host).
 */
function connectRoute(cluster = TUNNEL): EnvoyJson {
  return {
    name: 'connect',
    match: { connect_matcher: {} },
    route: { cluster, timeout: '0s', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] },
    // A tunnel into the tunnel listener is no request: the requests inside it have their spans there.
    ...(cluster === TUNNEL ? { tracing: { overall_sampling: { numerator: 0 } } } : {}),
  };
}

export function resolveDestination(
  scope: RouteScope,
  vs: VirtualServiceModel,
  destination: Destination,
): { cluster: string; hash?: EnvoyJson } {
  const service = serviceFor(scope.model, destination.host, vs.namespace);
  const external = service ? undefined : findServiceEntry(scope.model.serviceEntries, destination.host, vs.namespace);
  const ports = service?.ports.map((p) => p.port) ?? external?.entry.ports.map((p) => p.number) ?? [];
  const only = ports.length === 1 ? ports[0] : undefined;
  const port = destination.port?.number ?? only ?? scope.listenerPort;
  const host = service?.fqdn ?? external?.host;
  const cluster = outboundCluster(port, destination.subset, host ?? destination.host);
  const hash = host ? hashPolicy(scope.model, host, port, destination.subset) : undefined;
  return hash ? { cluster, hash } : { cluster };
}

/** The destinations that get traffic: all when one, else those with a weight (at least the first). */
export function forwardedTo<D extends { weight?: number }>(destinations: readonly D[]): D[] {
  if (destinations.length <= 1) return [...destinations];
  const weighted = destinations.filter((d) => (d.weight ?? 0) > 0);
  return weighted.length > 0 ? weighted : destinations.slice(0, 1);
}

function weightedCluster(cluster: string, d: HTTPRouteDestination): EnvoyJson {
  const authority = authorityHeader(d.headers);
  return {
    name: cluster,
    weight: d.weight ?? 0,
    ...headerOperations(d.headers),
    ...(authority !== undefined ? { host_rewrite_literal: authority } : {}),
  };
}

// ---------- headers ----------

function isAuthority(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === ':authority' || lower === 'host';
}

function authorityHeader(headers: Headers | undefined): string | undefined {
  const request = headers?.request;
  const entry = [...Object.entries(request?.set ?? {}), ...Object.entries(request?.add ?? {})].find(([k]) => isAuthority(k));
  return entry?.[1];
}

function headerOperations(headers: Headers | undefined): EnvoyJson {
  const out: EnvoyJson = {};
  for (const [direction, ops] of [['request', headers?.request], ['response', headers?.response]] as const) {
    if (!ops) continue;
    const add = [
      ...Object.entries(ops.set ?? {}).map(([key, value]) => ({ key, value, action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
      ...Object.entries(ops.add ?? {}).map(([key, value]) => ({ key, value, action: 'APPEND_IF_EXISTS_OR_ADD' })),
    ]
      .filter((h) => direction === 'response' || !isAuthority(h.key))
      .map((h) => ({ header: { key: h.key, value: h.value }, append_action: h.action }));
    if (add.length > 0) out[`${direction}_headers_to_add`] = add;
    if (ops.remove?.length) out[`${direction}_headers_to_remove`] = [...ops.remove];
  }
  return out;
}

/** Route-level operations first, then the destination's, as Istio appends them. */
function mergeHeaderOperations(route: EnvoyJson, destination: EnvoyJson): EnvoyJson {
  const out: EnvoyJson = { ...route };
  for (const [key, value] of Object.entries(destination)) {
    out[key] = [...((out[key] as unknown[] | undefined) ?? []), ...(value as unknown[])];
  }
  return out;
}

// ---------- forwarding policies ----------

const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
const PREVIOUS_HOSTS = [
  {
    name: 'envoy.retry_host_predicates.previous_hosts',
    typed_config: typed('extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate'),
  },
];

/** Istio's conversion: 2 attempts on connection failures by default, none with `attempts: 0`. */
function retryPolicy(retries: HTTPRoute['retries'], consistentHash: boolean): EnvoyJson | undefined {
  if (retries && retries.attempts <= 0) return undefined;
  // Istio's default: retry 503 (retriable-status-codes) besides connection failures.
  const out: EnvoyJson = { retry_on: DEFAULT_RETRY_ON, num_retries: retries?.attempts ?? 2, retriable_status_codes: [503] };
  if (retries?.retryOn) {
    // Stryker disable next-line MethodExpression: validation accepts no spaces nor empty parts in retryOn
    const parts = retries.retryOn.split(',').map((p) => p.trim()).filter(Boolean);
    // Stryker disable next-line Regex: validation accepts only conditions and whole status codes
    const codes = parts.filter((p) => /^\d+$/.test(p)).map(Number);
    // Stryker disable next-line Regex: validation accepts only conditions and whole status codes
    const conditions = parts.filter((p) => !/^\d+$/.test(p));
    if (codes.length > 0 && !conditions.includes('retriable-status-codes')) conditions.push('retriable-status-codes');
    out['retry_on'] = conditions.join(',');
    if (codes.length > 0) out['retriable_status_codes'] = codes;
    else delete out['retriable_status_codes'];
  }
  if (retries?.perTryTimeout) out['per_try_timeout'] = toEnvoyDuration(retries.perTryTimeout);
  const ignorePrevious = retries?.retryIgnorePreviousHosts ?? !consistentHash;
  if (ignorePrevious) out['retry_host_predicate'] = PREVIOUS_HOSTS;
  out['host_selection_retry_max_attempts'] = 5;
  if (retries?.backoff) out['retry_back_off'] = { base_interval: toEnvoyDuration(retries.backoff) };
  return out;
}

/** Route hash policy for a destination whose DestinationRule asks for consistent hashing. */
function hashPolicy(model: MeshModel, host: string, port: number, subset: string | undefined): EnvoyJson | undefined {
  const hash = trafficPolicy(destinationRuleFor(model, host), port, subset)?.loadBalancer?.consistentHash;
  if (!hash) return undefined;
  if (hash.httpHeaderName) return { header: { header_name: hash.httpHeaderName } };
  if (hash.httpCookie) {
    const { name, path, ttl } = hash.httpCookie;
    return { cookie: { name, ...(ttl ? { ttl: toEnvoyDuration(ttl) } : {}), ...(path ? { path } : {}) } };
  }
  if (hash.useSourceIp) return { connection_properties: { source_ip: true } };
  if (hash.httpQueryParameterName) return { query_parameter: { name: hash.httpQueryParameterName } };
  return undefined;
}

function mirrorPolicies(scope: RouteScope, vs: VirtualServiceModel, http: HTTPRoute): EnvoyJson[] {
  const legacy = http.mirror
    ? [{ destination: http.mirror, percent: http.mirrorPercentage?.value ?? http.mirrorPercent ?? 100 }]
    : [];
  const listed = (http.mirrors ?? []).map((m) => ({ destination: m.destination, percent: m.percentage?.value ?? 100 }));
  return [...legacy, ...listed].map(({ destination, percent }) => ({
    cluster: resolveDestination(scope, vs, destination).cluster,
    runtime_fraction: { default_value: fractionalPercent(percent) },
    trace_sampled: false,
  }));
}

const REDIRECT_CODES: Record<number, string> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

function redirectAction(r: NonNullable<HTTPRoute['redirect']>): EnvoyJson {
  return {
    ...(r.uri !== undefined ? { path_redirect: r.uri } : {}),
    ...(r.authority !== undefined ? { host_redirect: r.authority } : {}),
    ...(r.port !== undefined ? { port_redirect: r.port } : {}),
    ...(r.scheme !== undefined ? { scheme_redirect: r.scheme } : {}),
    response_code: REDIRECT_CODES[r.redirectCode ?? 301] ?? 'MOVED_PERMANENTLY',
  };
}

function directResponse(d: NonNullable<HTTPRoute['directResponse']>): EnvoyJson {
  const body = d.body?.string !== undefined ? { inline_string: d.body.string } : d.body?.bytes !== undefined ? { inline_bytes: d.body.bytes } : undefined;
  return { status: d.status, ...(body ? { body } : {}) };
}

// ---------- per-route filter configuration (the filters sit in every HCM) ----------

const GRPC_CODES: Record<string, number> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

function perFilterConfig(http: HTTPRoute): EnvoyJson | undefined {
  const out: EnvoyJson = {};
  const fault = faultConfig(http.fault);
  if (fault) out[FAULT_FILTER] = typed('extensions.filters.http.fault.v3.HTTPFault', fault);
  if (http.corsPolicy) out[CORS_FILTER] = typed('extensions.filters.http.cors.v3.CorsPolicy', corsPolicy(http.corsPolicy));
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Percent of requests a fault applies to: `percentage.value`, the deprecated integer `percent`, or none. */
function faultPercent(f: { percentage?: { value: number }; percent?: number }): EnvoyJson {
  return fractionalPercent(f.percentage?.value ?? f.percent ?? 0);
}

function faultConfig(fault: HTTPRoute['fault']): EnvoyJson | undefined {
  const out: EnvoyJson = {};
  const delay = fault?.delay;
  if (delay?.fixedDelay) out['delay'] = { fixed_delay: toEnvoyDuration(delay.fixedDelay), percentage: faultPercent(delay) };
  const abort = fault?.abort;
  if (abort?.httpStatus !== undefined) out['abort'] = { http_status: abort.httpStatus, percentage: faultPercent(abort) };
  else if (abort?.grpcStatus !== undefined && GRPC_CODES[abort.grpcStatus] !== undefined) {
    out['abort'] = { grpc_status: GRPC_CODES[abort.grpcStatus], percentage: faultPercent(abort) };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function corsPolicy(c: NonNullable<HTTPRoute['corsPolicy']>): EnvoyJson {
  const origins = c.allowOrigins?.map((o) => stringMatcher(o)).filter((o) => o !== undefined) ?? c.allowOrigin?.map((exact) => ({ exact }));
  const join = (list: string[] | undefined) => (list?.length ? list.join(',') : undefined);
  const fields: Record<string, unknown> = {
    allow_origin_string_match: origins,
    allow_methods: join(c.allowMethods),
    allow_headers: join(c.allowHeaders),
    expose_headers: join(c.exposeHeaders),
    max_age: c.maxAge ? String(Math.floor(Number.parseFloat(toEnvoyDuration(c.maxAge)))) : undefined,
    allow_credentials: c.allowCredentials,
    forward_not_matching_preflights: c.unmatchedPreflights === undefined ? undefined : c.unmatchedPreflights !== 'IGNORE',
    filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}
