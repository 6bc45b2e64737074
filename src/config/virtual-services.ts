// What a VirtualService means, checked against the mesh: destinations that exist (host, subset,
// port), weights, faults, retries, gateways, and the features localmesh does not have yet.
import { mergeDestinationRules } from './destination-rule-merge.ts';
import type { CheckContext } from './context.ts';
import { checkPercentValue, checkRegex } from './fields.ts';
import { meantByDottedHost, unknownHost } from './hosts.ts';
import type { SourceDocument } from './load.ts';
import { resolveHost, type ServiceModel, type VirtualServiceModel } from './model.ts';
import { formatPath, keyAt, valueAt, type Path } from './position.ts';
import { MESH_GATEWAY, gatewayKey, type Located } from './resources.ts';
import type { Destination, HTTPRoute } from './schema/istio.ts';
import { didYouMean } from './suggest.ts';

/** Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on values, as Istio's validation lists them. */
const RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);

interface VsScope {
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
  if (!service) {
    const { message, hint } = unknownHost('destination host', destination.host, vs.namespace, ctx.services);
    ctx.report('error', valueAt(source, [...path, 'host']), message, hint);
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
        subsetHint(service, destination.subset));
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
      `add port: {number: ${ports[0]}} to the destination`);
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
  if (total === 0) {
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
  if (retries.attempts < 0) ctx.report('error', valueAt(source, [...path, 'attempts']), 'retries.attempts must not be negative');
  for (const policy of retries.retryOn?.split(',') ?? []) {
    const status = /^\d+$/.test(policy) ? Number(policy) : NaN;
    if (!RETRY_ON.has(policy) && !(status >= 100 && status <= 599)) {
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
  if (fault.delay) {
    if (fault.delay.fixedDelay === undefined) {
      ctx.report('error', keyAt(source, [...path, 'delay']), 'a fault delay needs fixedDelay', 'e.g. delay: {fixedDelay: 7s, percentage: {value: 100}}');
    }
    if (fault.delay.percent !== undefined) checkPercentValue(source, [...path, 'delay', 'percent'], fault.delay.percent, ctx.report);
  }
  if (fault.abort) {
    const { httpStatus, grpcStatus, http2Error, percent } = fault.abort;
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
  http.route?.forEach((r, i) => checkDestination(scope, [...path, 'route', i, 'destination'], r.destination));
  if (http.route) checkWeights(scope, [...path, 'route'], http.route);
  if (http.mirror) checkDestination(scope, [...path, 'mirror'], http.mirror);
  http.mirrors?.forEach((m, i) => checkDestination(scope, [...path, 'mirrors', i, 'destination'], m.destination));
  if (http.mirrorPercent !== undefined) checkPercentValue(source, [...path, 'mirrorPercent'], http.mirrorPercent, ctx.report);
  if (http.fault) checkFault(scope, [...path, 'fault'], http.fault);
  if (http.retries) checkRetries(scope, [...path, 'retries'], http.retries);
  const rewrite = http.rewrite?.uriRegexRewrite;
  if (rewrite) checkRegex(source, [...path, 'rewrite', 'uriRegexRewrite', 'match'], rewrite.match, ctx.report);
  http.match?.forEach((m, i) => checkGatewayNames(scope, [...path, 'match', i, 'gateways'], m.gateways));
}

function checkGatewayNames(scope: VsScope, path: Path, names: readonly string[] | undefined): void {
  const { ctx, source, vs } = scope;
  const keys = ctx.gateways.map((g) => g.item.key);
  names?.forEach((name, i) => {
    const key = gatewayKey(name, vs.namespace);
    if (key !== MESH_GATEWAY && !keys.includes(key)) {
      ctx.report('error', valueAt(source, [...path, i]), `gateway '${name}' is not defined${didYouMean(key, keys)}`,
        keys.length
          ? `Gateways in this mesh: ${keys.join(', ')}; 'mesh' means the sidecars`
          : `no Gateway is defined; define one, or use 'mesh' for the sidecars`);
    }
  });
}

function checkVirtualService({ item: vs, source }: Located<VirtualServiceModel>, ctx: CheckContext): void {
  const scope: VsScope = { ctx, source, vs, atGateway: vs.gateways.some((g) => g !== MESH_GATEWAY) };
  const { spec } = vs;
  if (spec.tls) {
    ctx.report('error', keyAt(source, ['spec', 'tls']), 'TLS routes (spec.tls) are not supported yet by localmesh',
      'route HTTP with spec.http or opaque TCP with spec.tcp');
  }
  checkGatewayNames(scope, ['spec', 'gateways'], spec.gateways);
  if (vs.gateways.includes(MESH_GATEWAY)) {
    spec.hosts.forEach((host, i) => {
      if (!resolveHost(ctx.services, host, vs.namespace)) {
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
  spec.tcp?.forEach((tcp, i) => {
    tcp.route?.forEach((r, j) => checkDestination(scope, ['spec', 'tcp', i, 'route', j, 'destination'], r.destination));
    if (tcp.route) checkWeights(scope, ['spec', 'tcp', i, 'route'], tcp.route);
    tcp.match?.forEach((m, j) => checkGatewayNames(scope, ['spec', 'tcp', i, 'match', j, 'gateways'], m.gateways));
  });
}

export function checkVirtualServices(ctx: CheckContext): void {
  for (const located of ctx.virtualServices) checkVirtualService(located, ctx);
}
