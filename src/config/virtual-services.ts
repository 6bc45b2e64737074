// What a VirtualService means, checked as Istio checks it and against the mesh: hosts, destinations
// that exist (host, subset, port), weights, faults, retries, redirects, rewrites, headers, CORS,
// gateways, and the features localmesh does not have yet.
import { mergeDestinationRules } from './destination-rule-merge.ts';
import type { CheckContext } from './context.ts';
import { isDnsLabel, isIpAddress, wildcardDomainProblem } from './dns.ts';
import { checkExportTo } from './export-to.ts';
import { checkPercentValue, checkRegex } from './fields.ts';
import { hostsMatch } from './gateways.ts';
import { checkHeaderOperations, corsNameProblem, isAuthority, matchNameProblem } from './header-rules.ts';
import { meantByDottedHost, unknownHost } from './hosts.ts';
import type { SourceDocument } from './load.ts';
import { findServiceEntry, hostFqdn, resolveHost, type ServiceModel, type VirtualServiceModel } from './model.ts';
import { gatewayService, type GatewayProxyModel } from './gateway-proxies.ts';
import { checkServiceEntryDestination } from './service-entry-refs.ts';
import { formatPath, keyAt, valueAt, type Path } from './position.ts';
import { MESH_GATEWAY, gatewayKey, type Located } from './resources.ts';
import type { Destination, HTTPRoute } from './schema/istio.ts';
import { parseDuration } from './duration.ts';
import { didYouMean } from './suggest.ts';
import { IST } from './analyze/codes.ts';

/** Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on values, as Istio's validation lists them. */
const RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);

/** The HTTP status codes Go's net/http names: what Istio's retryOn accepts as a status. */
const HTTP_STATUSES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
  425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** gRPC status names, as Istio's fault abort takes them. */
const GRPC_STATUSES = new Set([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE',
  'DATA_LOSS', 'UNAUTHENTICATED',
]);

/** Envoy's bound on the sum of a route's weights. */
const UINT32_MAX = 4294967295;

const CORS_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*']);
const MAX_DIRECT_RESPONSE_BYTES = 1024 * 1024;

export interface VsScope {
  ctx: CheckContext;
  source: SourceDocument;
  vs: VirtualServiceModel;
  /** Bound to an ingress gateway, where the request's port says nothing about the destination's. */
  atGateway: boolean;
}

function serviceList(services: readonly ServiceModel[]): string {
  return services.map((s) => s.name).join(', ') || '(none)';
}

function subsetHint(service: ServiceModel, subset: string): string {
  return `define the subset in a DestinationRule for ${service.name}: subsets: [{name: ${subset}, labels: {version: ${subset}}}]`;
}

export function checkDestination(scope: VsScope, path: Path, destination: Destination): void {
  const { ctx, source, vs } = scope;
  const service = resolveHost(ctx.services, destination.host, vs.namespace);
  const gateway = service ? undefined : gatewayService(ctx.gateways.map((g) => g.item), hostFqdn(destination.host, vs.namespace));
  if (gateway) return checkGatewayDestination(scope, path, destination, gateway);
  const external = service ? undefined : findServiceEntry(ctx.serviceEntries, destination.host, vs.namespace);
  if (external) {
    checkServiceEntryDestination(scope, path, destination, external);
    return;
  }
  if (!service) {
    const { message, hint } = unknownHost('destination host', destination.host, vs.namespace, ctx.services);
    ctx.report('error', valueAt(source, [...path, 'host']), message, hint, IST.ReferencedResourceNotFound);
    return;
  }
  if (destination.subset !== undefined && !isDnsLabel(destination.subset)) {
    ctx.report('error', valueAt(source, [...path, 'subset']), `subset name '${destination.subset}' is not a DNS label`, 'use lowercase letters, digits and -, e.g. v1');
    return;
  }
  if (destination.subset !== undefined) {
    const rules = ctx.destinationRules.filter((d) => d.item.service === service.fqdn).map((d) => d.item);
    const subsets = mergeDestinationRules(rules)?.spec.subsets?.map((s) => s.name) ?? [];
    if (!subsets.includes(destination.subset)) {
      ctx.report('error', valueAt(source, [...path, 'subset']),
        rules.length > 0
          ? `subset '${destination.subset}' is not defined by DestinationRule${rules.length > 1 ? 's' : ''} ${rules.map((r) => r.name).join(', ')} for ${service.name}${didYouMean(destination.subset, subsets)}`
          : `subset '${destination.subset}' of ${service.name} is not defined: no DestinationRule for ${service.name}`,
        subsetHint(service, destination.subset), IST.ReferencedResourceNotFound);
    }
  }
  const ports = service.ports.map((p) => p.port);
  if (destination.port !== undefined && !ports.includes(destination.port.number)) {
    ctx.report('error', valueAt(source, [...path, 'port', 'number']),
      `service ${service.name} does not expose port ${destination.port.number}`, `its ports: ${ports.join(', ')}`);
  }
  // Istio: without destination.port a sidecar route goes to the port the request was sent to, but a
  // gateway listens on its own port, so a service with several ports is ambiguous there.
  if (destination.port === undefined && ports.length > 1 && scope.atGateway) {
    ctx.report('error', valueAt(source, path),
      `service ${service.name} has several ports (${ports.join(', ')}); a route from a gateway must choose one`,
      `add port: {number: ${ports[0]}} to the destination`, IST.VirtualServiceDestinationPortSelectorRequired);
  }
}

/** A destination that is a gateway proxy's in-mesh Service (the egress gateway): its subset defined, one of its ports. */
function checkGatewayDestination(scope: VsScope, path: Path, destination: Destination, gateway: { proxy: GatewayProxyModel; ports: number[] }): void {
  const { ctx, source } = scope;
  const host = gateway.proxy.host!;
  if (destination.subset !== undefined) {
    const subsets = ctx.destinationRules.filter((d) => hostFqdn(d.item.service, d.item.namespace) === host).flatMap((d) => d.item.spec.subsets?.map((s) => s.name) ?? []);
    if (!subsets.includes(destination.subset)) {
      ctx.report('error', valueAt(source, [...path, 'subset']), `subset '${destination.subset}' of ${host} is not defined${didYouMean(destination.subset, subsets)}`,
        `define it in a DestinationRule for ${host}: subsets: [{name: ${destination.subset}}]`, IST.ReferencedResourceNotFound);
    }
  }
  if (destination.port !== undefined && !gateway.ports.includes(destination.port.number)) {
    ctx.report('error', valueAt(source, [...path, 'port', 'number']),
      `${host} (${gateway.proxy.proxy}) does not serve port ${destination.port.number}`, `the ports of its Gateways' servers: ${gateway.ports.join(', ')}`);
  }
}

/**
 * Istio treats weights as relative (it rejects only a total of 0 when there are several
 * destinations; a destination without a weight counts 0) and its docs say they should add up to
 * 100. A total other than 100 is a warning: traffic is split in proportion, which is rarely meant.
 */
function checkWeights(scope: VsScope, path: Path, route: readonly { weight?: number | undefined }[]): void {
  const { ctx, source } = scope;
  route.forEach((r, i) => {
    if (r.weight !== undefined && r.weight < 0) {
      ctx.report('error', valueAt(source, [...path, i, 'weight']), `weight ${r.weight} is negative`);
    }
  });
  if (route.length < 2) return;
  const total = route.reduce((sum, r) => sum + (r.weight ?? 0), 0);
  if (total > UINT32_MAX) {
    ctx.report('error', keyAt(source, path), `the weights of ${formatPath(path)} add up to ${total}; Envoy takes a total of at most ${UINT32_MAX}`,
      'the weights should add up to 100');
  } else if (total === 0) {
    ctx.report('error', keyAt(source, path), `the destinations of ${formatPath(path)} have a total weight of 0, so none gets traffic`,
      'give each destination a weight; the weights should add up to 100');
  } else if (total !== 100) {
    ctx.report('warning', keyAt(source, path),
      `the weights of ${formatPath(path)} add up to ${total}, not 100; traffic is split in proportion to them`,
      route.some((r) => r.weight === undefined) ? 'a destination without a weight gets no traffic when there are several' : undefined);
  }
}

function checkRetries(scope: VsScope, path: Path, retries: NonNullable<HTTPRoute['retries']>): void {
  const { ctx, source } = scope;
  if (retries.attempts === 0) {
    const set = (['perTryTimeout', 'retryOn', 'retryRemoteLocalities'] as const).filter((f) => retries[f] !== undefined);
    if (set.length > 0) {
      ctx.report('error', keyAt(source, [...path, set[0]!]), `retries.attempts is 0 (retries off), but ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set`,
        'set attempts to the number of retries, or remove the retry policy');
    }
  }
  for (const policy of retries.retryOn?.split(',') ?? []) {
    const status = /^\d+$/.test(policy) ? Number(policy) : NaN;
    if (!RETRY_ON.has(policy) && !HTTP_STATUSES.has(status)) {
      ctx.report('error', valueAt(source, [...path, 'retryOn']), `'${policy}' is not a valid retryOn condition${didYouMean(policy, RETRY_ON)}`,
        `use a comma-separated list of ${[...RETRY_ON].join(', ')}, or HTTP status codes such as 503`);
    }
  }
}

function checkFault(scope: VsScope, path: Path, fault: NonNullable<HTTPRoute['fault']>): void {
  const { ctx, source } = scope;
  if (!fault.delay && !fault.abort) {
    ctx.report('error', keyAt(source, path), 'a fault needs a delay, an abort or both');
  }
  const tiny = (p: { value: number } | undefined, at: Path) => {
    if (p && p.value > 0 && p.value < 0.0001) {
      ctx.report('error', valueAt(source, [...at, 'percentage', 'value']), `a fault percentage is 0 or between 0.0001 and 100, not ${p.value}`);
    }
  };
  if (fault.delay) {
    tiny(fault.delay.percentage, [...path, 'delay']);
    if (fault.delay.exponentialDelay !== undefined) {
      ctx.report('error', keyAt(source, [...path, 'delay', 'exponentialDelay']), 'exponentialDelay is not supported (Istio rejects it too)', 'use fixedDelay');
    } else if (fault.delay.fixedDelay === undefined) {
      ctx.report('error', keyAt(source, [...path, 'delay']), 'a fault delay needs fixedDelay', 'e.g. delay: {fixedDelay: 7s, percentage: {value: 100}}');
    }
    if (fault.delay.percent !== undefined) checkPercentValue(source, [...path, 'delay', 'percent'], fault.delay.percent, ctx.report);
  }
  if (fault.abort) {
    const { httpStatus, grpcStatus, http2Error, percent } = fault.abort;
    tiny(fault.abort.percentage, [...path, 'abort']);
    if (http2Error !== undefined) {
      ctx.report('error', keyAt(source, [...path, 'abort', 'http2Error']), 'an HTTP/2 error abort is not supported (Istio rejects it too)', 'abort with httpStatus or grpcStatus');
    }
    if (grpcStatus !== undefined && !GRPC_STATUSES.has(grpcStatus)) {
      ctx.report('error', valueAt(source, [...path, 'abort', 'grpcStatus']), `'${grpcStatus}' is not a gRPC status${didYouMean(grpcStatus, GRPC_STATUSES)}`,
        `one of ${[...GRPC_STATUSES].join(', ')}`);
    }
    if (httpStatus !== undefined && (httpStatus < 200 || httpStatus > 599)) {
      ctx.report('error', valueAt(source, [...path, 'abort', 'httpStatus']), `abort httpStatus ${httpStatus} is not an HTTP status between 200 and 599`);
    }
    if (httpStatus === undefined && grpcStatus === undefined && http2Error === undefined) {
      ctx.report('error', keyAt(source, [...path, 'abort']), 'a fault abort needs httpStatus', 'e.g. abort: {httpStatus: 503, percentage: {value: 10}}');
    }
    if (percent !== undefined) checkPercentValue(source, [...path, 'abort', 'percent'], percent, ctx.report);
  }
}

const ACTIONS = ['route', 'redirect', 'directResponse'] as const;

function checkHttpRoute(scope: VsScope, path: Path, http: HTTPRoute): void {
  const { ctx, source } = scope;
  if (http.delegate) {
    ctx.report('error', keyAt(source, [...path, 'delegate']), 'VirtualService delegation (delegate) is not supported yet by localmesh',
      'write the delegated routes into this VirtualService');
    return;
  }
  const actions = ACTIONS.filter((a) => http[a] !== undefined);
  if (actions.length === 0) {
    ctx.report('error', valueAt(source, path), `the HTTP route ${formatPath(path)} does nothing: give it a route, a redirect or a directResponse`);
  } else if (actions.length > 1) {
    ctx.report('error', keyAt(source, [...path, actions[1]!]),
      `the HTTP route ${formatPath(path)} has both ${actions[0]} and ${actions[1]}; it takes exactly one of route, redirect or directResponse`);
  }
  // Istio: a redirect or a direct response answers by itself; a fault or a rewrite would change nothing.
  const answer = http.redirect ? 'redirect' : http.directResponse ? 'directResponse' : undefined;
  for (const other of ['fault', 'rewrite'] as const) {
    if (answer && http[other] !== undefined) {
      ctx.report('error', keyAt(source, [...path, other]), `the HTTP route ${formatPath(path)} has both ${answer} and ${other}; a ${answer} answers without the ${other}`);
    }
  }
  if (http.mirror && http.mirrors) {
    ctx.report('error', keyAt(source, [...path, 'mirrors']), `the HTTP route ${formatPath(path)} has both mirror and mirrors`, 'list every mirror in mirrors');
  }
  if (http.redirect) checkRedirect(scope, [...path, 'redirect'], http.redirect);
  const body = http.directResponse?.body;
  if (body && Buffer.byteLength(body.string ?? body.bytes ?? '') > MAX_DIRECT_RESPONSE_BYTES) {
    ctx.report('error', keyAt(source, [...path, 'directResponse', 'body']), 'a directResponse body must be smaller than 1MB');
  }
  if (http.rewrite) checkRewrite(scope, [...path, 'rewrite'], http.rewrite);
  if (http.headers) checkHeaderOperations(source, [...path, 'headers'], http.headers, ctx.report);
  http.route?.forEach((r, i) => r.headers && checkHeaderOperations(source, [...path, 'route', i, 'headers'], r.headers, ctx.report));
  checkAuthority(scope, path, http);
  if (http.corsPolicy) checkCors(scope, [...path, 'corsPolicy'], http.corsPolicy);
  http.match?.forEach((m, i) => checkMatch(scope, [...path, 'match', i], m));
  http.route?.forEach((r, i) => checkDestination(scope, [...path, 'route', i, 'destination'], r.destination));
  if (http.route) checkWeights(scope, [...path, 'route'], http.route);
  if (http.mirror) checkDestination(scope, [...path, 'mirror'], http.mirror);
  http.mirrors?.forEach((m, i) => checkDestination(scope, [...path, 'mirrors', i, 'destination'], m.destination));
  if (http.mirrorPercent !== undefined) checkPercentValue(source, [...path, 'mirrorPercent'], http.mirrorPercent, ctx.report);
  if (http.fault) checkFault(scope, [...path, 'fault'], http.fault);
  if (http.retries) checkRetries(scope, [...path, 'retries'], http.retries);
  http.match?.forEach((m, i) => checkGatewayNames(scope, [...path, 'match', i, 'gateways'], m.gateways));
}

function checkRedirect(scope: VsScope, path: Path, redirect: NonNullable<HTTPRoute['redirect']>): void {
  if (!redirect.uri && !redirect.authority && redirect.port === undefined && redirect.derivePort === undefined && !redirect.scheme) {
    scope.ctx.report('error', keyAt(scope.source, path), 'a redirect must change something: give it uri, authority, scheme or port');
  }
}

function checkRewrite(scope: VsScope, path: Path, rewrite: NonNullable<HTTPRoute['rewrite']>): void {
  const { ctx, source } = scope;
  if (rewrite.uri !== undefined && rewrite.uriRegexRewrite) {
    ctx.report('error', keyAt(source, [...path, 'uriRegexRewrite']), 'a rewrite takes one of uri and uriRegexRewrite, not both');
  }
  if (!rewrite.uri && !rewrite.uriRegexRewrite && !rewrite.authority) {
    ctx.report('error', keyAt(source, path), 'a rewrite must change something: give it uri, uriRegexRewrite or authority');
  }
  const regex = rewrite.uriRegexRewrite;
  if (regex) {
    checkRegex(source, [...path, 'uriRegexRewrite', 'match'], regex.match, ctx.report);
    if (regex.rewrite === '') ctx.report('error', valueAt(source, [...path, 'uriRegexRewrite', 'rewrite']), 'uriRegexRewrite.rewrite is empty', 'e.g. rewrite: /v2/\\1');
  }
}

/** Istio: the authority is rewritten in one place only (rewrite.authority or a request header). */
function checkAuthority(scope: VsScope, path: Path, http: HTTPRoute): void {
  const places: Path[] = [];
  if (http.rewrite?.authority) places.push([...path, 'rewrite', 'authority']);
  for (const op of ['set', 'add'] as const) {
    for (const name of Object.keys(http.headers?.request?.[op] ?? {})) if (isAuthority(name)) places.push([...path, 'headers', 'request', op, name]);
  }
  if (places.length > 1) {
    scope.ctx.report('error', keyAt(scope.source, places[1]!), `the authority is set twice: at ${formatPath(places[0]!)} and at ${formatPath(places[1]!)}`);
  }
}

function checkCors(scope: VsScope, path: Path, cors: NonNullable<HTTPRoute['corsPolicy']>): void {
  const { ctx, source } = scope;
  cors.allowMethods?.forEach((method, i) => {
    if (!CORS_METHODS.has(method)) {
      ctx.report('error', valueAt(source, [...path, 'allowMethods', i]), `'${method}' is not an HTTP method${didYouMean(method, CORS_METHODS)}`);
    }
  });
  for (const list of ['allowHeaders', 'exposeHeaders'] as const) {
    cors[list]?.forEach((name, i) => {
      const problem = corsNameProblem(name);
      if (problem) ctx.report('error', valueAt(source, [...path, list, i]), `${formatPath([...path, list, i])}: ${problem}`);
    });
  }
  cors.allowOrigins?.forEach((origin, i) => {
    if ((origin.exact ?? origin.prefix ?? origin.regex) === '') {
      ctx.report('error', valueAt(source, [...path, 'allowOrigins', i]), 'an allowed origin cannot be empty');
    }
  });
  const maxAge = cors.maxAge === undefined ? undefined : parseDuration(cors.maxAge);
  if (maxAge !== undefined && maxAge >= 1 && Math.abs(maxAge / 1000 - Math.round(maxAge / 1000)) > 1e-9) {
    ctx.report('error', valueAt(source, [...path, 'maxAge']), `corsPolicy.maxAge is ${cors.maxAge}; it is sent in whole seconds`, `e.g. ${Math.max(1, Math.round(maxAge / 1000))}s`);
  }
}

function checkMatch(scope: VsScope, path: Path, match: NonNullable<HTTPRoute['match']>[number]): void {
  const { ctx, source } = scope;
  for (const list of ['headers', 'withoutHeaders'] as const) {
    for (const name of Object.keys(match[list] ?? {})) {
      const problem = matchNameProblem(name);
      if (problem) ctx.report('error', keyAt(source, [...path, list, name]), `${formatPath([...path, list])}: ${problem}`);
    }
  }
  if (match.sourceNamespace !== undefined && !isDnsLabel(match.sourceNamespace)) {
    ctx.report('error', valueAt(source, [...path, 'sourceNamespace']), `sourceNamespace '${match.sourceNamespace}' is not a namespace name (a DNS label)`);
  }
}

function checkGatewayNames(scope: VsScope, path: Path, names: readonly string[] | undefined): void {
  const { ctx, source, vs } = scope;
  const keys = ctx.gateways.map((g) => g.item.key);
  names?.forEach((name, i) => {
    const parts = name.split('/');
    const wellFormed = parts.length === 2 ? parts.every(isDnsLabel) : !name.includes('*') && wildcardDomainProblem(name) === undefined;
    if (!wellFormed) {
      ctx.report('error', valueAt(source, [...path, i]), `gateway '${name}' is not a Gateway name: write NAME or NAMESPACE/NAME`);
      return;
    }
    const key = gatewayKey(name, vs.namespace);
    if (key !== MESH_GATEWAY && !keys.includes(key)) {
      ctx.report('error', valueAt(source, [...path, i]), `gateway '${name}' is not defined${didYouMean(key, keys)}`,
        keys.length
          ? `Gateways in this mesh: ${keys.join(', ')}; 'mesh' means the sidecars`
          : `no Gateway is defined; define one, or use 'mesh' for the sidecars`, IST.ReferencedResourceNotFound);
    }
  });
}

function checkVirtualService({ item: vs, source }: Located<VirtualServiceModel>, ctx: CheckContext): void {
  const scope: VsScope = { ctx, source, vs, atGateway: vs.gateways.some((g) => g !== MESH_GATEWAY) };
  const { spec } = vs;
  // On the sidecars, tls routes apply to ServiceEntry hosts (TLS they send out, by SNI), not yet to mesh services.
  if (spec.tls && vs.gateways.includes(MESH_GATEWAY) && !spec.hosts.some((h) => findServiceEntry(ctx.serviceEntries, h, vs.namespace))) {
    ctx.report('warning', keyAt(source, ['spec', 'tls']), 'TLS routes (spec.tls) for mesh services are applied at gateways only by localmesh: the sidecars do not route them by SNI yet',
      'bind the VirtualService to a Gateway with a TLS server (spec.gateways) for SNI routing; ServiceEntry hosts are routed by SNI on the sidecars too');
  }
  checkGatewayNames(scope, ['spec', 'gateways'], spec.gateways);
  checkHosts(scope);
  checkExportTo(source, ['spec', 'exportTo'], vs.namespace, spec.exportTo, ctx.report);
  if (!spec.http?.length && !spec.tcp?.length && !spec.tls?.length) {
    ctx.report('error', keyAt(source, ['spec']), `VirtualService ${vs.name} routes nothing: give it http, tcp or tls routes`);
  }
  spec.tcp?.forEach((tcp, i) => {
    if (!tcp.route?.length) ctx.report('error', keyAt(source, ['spec', 'tcp', i]), `the TCP route spec.tcp[${i}] has no route`, 'add route: [{destination: {host: HOST}}]');
  });
  if (vs.gateways.includes(MESH_GATEWAY)) {
    spec.hosts.forEach((host, i) => {
      if (!resolveHost(ctx.services, host, vs.namespace) && !findServiceEntry(ctx.serviceEntries, host, vs.namespace)) {
        const meant = meantByDottedHost(host, ctx.services);
        ctx.report('warning', valueAt(source, ['spec', 'hosts', i]),
          `host '${host}' is not a service of the mesh, so this VirtualService does nothing for it in the sidecars${meant ? `; did you mean ${meant.fqdn}?` : ''}`,
          meant
            ? `Istio expands only a single-label host; a host with a dot is taken as fully qualified: write ${meant.name} or ${meant.fqdn}`
            : `services of the mesh: ${serviceList(ctx.services)}; for an ingress host, bind the VirtualService to a Gateway (spec.gateways)`);
      }
    });
  }
  spec.http?.forEach((http, i) => checkHttpRoute(scope, ['spec', 'http', i], http));
  spec.tls?.forEach((tls, i) => {
    if (!tls.route?.length) ctx.report('error', keyAt(source, ['spec', 'tls', i]), `the TLS route spec.tls[${i}] has no route`, 'add route: [{destination: {host: HOST, port: {number: PORT}}}]');
    tls.route?.forEach((r, j) => checkDestination(scope, ['spec', 'tls', i, 'route', j, 'destination'], r.destination));
    if (tls.route) checkWeights(scope, ['spec', 'tls', i, 'route'], tls.route);
    tls.match.forEach((m, j) => {
      checkGatewayNames(scope, ['spec', 'tls', i, 'match', j, 'gateways'], m.gateways);
      // Istio: every SNI host is one of the VirtualService's hosts (or under a wildcard of them).
      m.sniHosts.forEach((sni, k) => {
        if (!spec.hosts.some((h) => hostsMatch(h, sni))) {
          ctx.report('error', valueAt(source, ['spec', 'tls', i, 'match', j, 'sniHosts', k]),
            `SNI host '${sni}' is not one of the hosts of VirtualService ${vs.name} (${spec.hosts.join(', ')})`, 'add it to spec.hosts, or match a host listed there');
        }
      });
    });
  });
  spec.tcp?.forEach((tcp, i) => {
    tcp.route?.forEach((r, j) => checkDestination(scope, ['spec', 'tcp', i, 'route', j, 'destination'], r.destination));
    if (tcp.route) checkWeights(scope, ['spec', 'tcp', i, 'route'], tcp.route);
    tcp.match?.forEach((m, j) => checkGatewayNames(scope, ['spec', 'tcp', i, 'match', j, 'gateways'], m.gateways));
  });
}

/** Istio: each host a DNS name (a wildcard first label) or an IP, `*` only at gateways, no two hosts overlapping. */
function checkHosts({ ctx, source, vs }: VsScope): void {
  const hosts = vs.spec.hosts;
  const atGatewayOnly = vs.spec.gateways !== undefined && vs.spec.gateways.some((g) => g !== MESH_GATEWAY);
  let valid = true;
  hosts.forEach((host, i) => {
    const problem = isIpAddress(host) ? undefined : wildcardDomainProblem(host);
    if (problem) {
      valid = false;
      ctx.report('error', valueAt(source, ['spec', 'hosts', i]), problem);
    } else if (host === '*' && !atGatewayOnly) {
      valid = false;
      ctx.report('error', valueAt(source, ['spec', 'hosts', i]), "host '*' is not allowed for the sidecars (gateway 'mesh')",
        'bind the VirtualService to a Gateway (spec.gateways), or name the services it routes');
    }
  });
  if (!valid) return;
  hosts.forEach((host, i) => {
    const j = hosts.findIndex((other, k) => k < i && hostsMatch(other, host));
    if (j >= 0) ctx.report('error', valueAt(source, ['spec', 'hosts', i]), `host '${host}' overlaps host '${hosts[j]}' of the same VirtualService`, 'list each host once');
  });
}

export function checkVirtualServices(ctx: CheckContext): void {
  for (const located of ctx.virtualServices) checkVirtualService(located, ctx);
}
