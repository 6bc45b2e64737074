// A Gateway API HTTPRoute → VirtualServices of the model, as Istio translates it
// (pilot/pkg/config/kube/gateway/conversion.go): one per parent — bound to the listeners of a
// Gateway (hosts: the route's hostnames, else `*`), or to a Service for calls from the sidecars
// (GAMMA; the host is the Service) — with a route per match of each rule, sorted as the Gateway
// API orders them. Every mistake is reported at the HTTPRoute's own field; compile applies the
// result as it applies any VirtualService.
import type { CheckContext } from '../context.ts';
import { wildcardDomainProblem } from '../dns.ts';
import { checkRegex } from '../fields.ts';
import { matchNameProblem, valueProblem } from '../header-rules.ts';
import { unknownHost } from '../hosts.ts';
import type { SourceDocument } from '../load.ts';
import { DEFAULT_NAMESPACE, fqdn, resolveHost, type ServiceModel, type VersionServiceModel, type VirtualServiceModel } from '../model.ts';
import { formatPath, keyAt, valueAt, type Path } from '../position.ts';
import { formatRef } from '../report.ts';
import { MESH_GATEWAY, type Located } from '../resources.ts';
import type { BackendObjectRef, HeaderModifier, HTTPRouteFilter, HTTPRouteKind, HTTPRouteMatch, HTTPRouteRule, ParentRef } from '../schema/gateway-api.ts';
import { GATEWAY_API_GROUP } from '../schema/gateway-api.ts';
import type { Destination, Headers, HTTPMatchRequest, HTTPRoute } from '../schema/istio.ts';
import type { ParsedResource } from '../kinds.ts';
import { didYouMean } from '../suggest.ts';
import type { ListenerModel, TranslatedGateways } from './gateways.ts';

type HTTPRouteResource = Extract<ParsedResource, { kind: 'HTTPRoute' }>;

interface RouteScope {
  ctx: CheckContext;
  source: SourceDocument;
  route: HTTPRouteKind;
  namespace: string;
  versionServices: readonly VersionServiceModel[];
}

const CORE_GROUPS = new Set(['', 'core']);
const isServiceRef = (ref: { group?: string | undefined; kind?: string | undefined }) =>
  (ref.kind ?? 'Service') === 'Service' && CORE_GROUPS.has(ref.group ?? '');

// ---------- backends ----------

/** A Service backendRef as an Istio destination: a service, or a version Service as its subset. */
function destination(scope: RouteScope, path: Path, ref: BackendObjectRef): Destination | undefined {
  const { ctx, source } = scope;
  if (!isServiceRef(ref)) {
    ctx.report('error', valueAt(source, [...path, ref.kind !== undefined ? 'kind' : 'group']),
      `a backendRef to a ${ref.kind ?? 'Service'} of group '${ref.group ?? ''}' is not supported by localmesh; it routes to Services`,
      'name a Service of the mesh: {name: reviews, port: 9080}');
    return undefined;
  }
  const namespace = ref.namespace ?? scope.namespace;
  // Written as a name in a namespace: the host is the Service's FQDN unless the route's own namespace.
  const host = (name: string) => (namespace === scope.namespace ? name : fqdn(name, namespace));
  const version = scope.versionServices.find((v) => v.fqdn === fqdn(ref.name, namespace));
  const service = version ? ctx.services.find((s) => s.fqdn === version.service) : resolveHost(ctx.services, ref.name, namespace);
  if (!service) {
    const known = [...ctx.services.map((s) => s.name), ...scope.versionServices.map((v) => v.name)];
    const { message, hint } = unknownHost('backendRef', ref.name, namespace, ctx.services);
    ctx.report('error', valueAt(source, [...path, 'name']), `${message.replace(/; did you mean.*$/, '')}${didYouMean(ref.name, known)}`, hint);
    return undefined;
  }
  const ports = (version?.ports ?? service.ports).map((p) => p.port);
  if (ref.port === undefined) {
    ctx.report('error', keyAt(source, path), `a backendRef to Service ${ref.name} needs a port (the Gateway API requires it for a Service)`,
      `add port: ${ports[0] ?? 9080}`);
    return undefined;
  }
  if (!ports.includes(ref.port)) {
    ctx.report('error', valueAt(source, [...path, 'port']), `Service ${ref.name} does not expose port ${ref.port}`, `its ports: ${ports.join(', ')}`);
    return undefined;
  }
  return { host: host(version ? service.name : ref.name), ...(version ? { subset: version.name } : {}), port: { number: ref.port } };
}

// ---------- filters ----------

const FILTER_FIELDS = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  RequestMirror: 'requestMirror',
  ExtensionRef: 'extensionRef',
  CORS: 'cors',
} as const satisfies Record<HTTPRouteFilter['type'], keyof HTTPRouteFilter>;

function headerOperations(scope: RouteScope, path: Path, modifier: HeaderModifier): NonNullable<Headers['request']> {
  const { ctx, source } = scope;
  const ops: NonNullable<Headers['request']> = {};
  for (const op of ['set', 'add'] as const) {
    modifier[op]?.forEach((header, i) => {
      const problem = matchNameProblem(header.name) ?? (header.name.startsWith(':') ? `header '${header.name}' cannot be changed: it is a pseudo header` : undefined);
      if (problem) ctx.report('error', valueAt(source, [...path, op, i, 'name']), `${formatPath([...path, op, i, 'name'])}: ${problem}`);
      const bad = valueProblem(header.value);
      if (bad) ctx.report('error', valueAt(source, [...path, op, i, 'value']), `${formatPath([...path, op, i, 'value'])}: ${bad}`);
      ops[op] = { ...ops[op], [header.name]: header.value };
    });
  }
  if (modifier.remove?.length) ops.remove = [...modifier.remove];
  return ops;
}

/** What the filters of a rule (or of one backend, `backend: true`) make of the Istio route. */
function applyFilters(scope: RouteScope, path: Path, filters: readonly HTTPRouteFilter[], http: HTTPRoute, backend: boolean): void {
  const { ctx, source } = scope;
  const seen = new Set<string>();
  filters.forEach((filter, i) => {
    const at = [...path, i];
    const field = FILTER_FIELDS[filter.type];
    const config = filter[field];
    if (config === undefined) {
      ctx.report('error', keyAt(source, at), `a filter of type ${filter.type} needs its settings in ${field}`);
      return;
    }
    const others = Object.values(FILTER_FIELDS).filter((f) => f !== field && filter[f] !== undefined);
    if (others.length > 0) ctx.report('error', keyAt(source, [...at, others[0]!]), `a filter of type ${filter.type} takes ${field}, not ${others[0]}`);
    if (filter.type === 'ExtensionRef' || filter.type === 'CORS') {
      ctx.report('error', valueAt(source, [...at, 'type']), `${filter.type} filters are not supported yet by localmesh`);
      return;
    }
    if (backend && !['RequestHeaderModifier', 'ResponseHeaderModifier'].includes(filter.type)) {
      ctx.report('error', valueAt(source, [...at, 'type']), `a ${filter.type} filter on a backendRef is not supported (Istio applies header modifiers there only)`,
        'move it to the rule\'s filters');
      return;
    }
    if (seen.has(filter.type) && filter.type !== 'RequestMirror') {
      ctx.report('error', valueAt(source, [...at, 'type']), `a second ${filter.type} filter; the Gateway API allows one per rule`, 'merge them into one');
      return;
    }
    seen.add(filter.type);
    switch (filter.type) {
      case 'RequestHeaderModifier':
        http.headers = { ...http.headers, request: headerOperations(scope, [...at, field], filter.requestHeaderModifier!) };
        break;
      case 'ResponseHeaderModifier':
        http.headers = { ...http.headers, response: headerOperations(scope, [...at, field], filter.responseHeaderModifier!) };
        break;
      case 'RequestRedirect': {
        const r = filter.requestRedirect!;
        if (r.path?.type === 'ReplacePrefixMatch') {
          ctx.report('error', valueAt(source, [...at, field, 'path', 'type']), 'a redirect with path type ReplacePrefixMatch is not supported yet by localmesh',
            'use ReplaceFullPath');
          return;
        }
        const uri = r.path?.type === 'ReplaceFullPath' ? r.path.replaceFullPath : undefined;
        if (r.path && uri === undefined) ctx.report('error', keyAt(source, [...at, field, 'path']), 'a ReplaceFullPath path needs replaceFullPath');
        http.redirect = {
          ...(uri !== undefined ? { uri } : {}),
          ...(r.hostname !== undefined ? { authority: r.hostname } : {}),
          ...(r.port !== undefined ? { port: r.port } : {}),
          ...(r.scheme !== undefined ? { scheme: r.scheme } : {}),
          redirectCode: r.statusCode ?? 302,
        };
        break;
      }
      case 'URLRewrite': {
        const r = filter.urlRewrite!;
        const rewrite: NonNullable<HTTPRoute['rewrite']> = {};
        if (r.path?.type === 'ReplacePrefixMatch') {
          if (r.path.replacePrefixMatch === undefined) ctx.report('error', keyAt(source, [...at, field, 'path']), 'a ReplacePrefixMatch path needs replacePrefixMatch');
          else rewrite.uri = r.path.replacePrefixMatch.replace(/\/$/, '') || '/';
        } else if (r.path?.type === 'ReplaceFullPath') {
          if (r.path.replaceFullPath === undefined) ctx.report('error', keyAt(source, [...at, field, 'path']), 'a ReplaceFullPath path needs replaceFullPath');
          else rewrite.uriRegexRewrite = { match: '/.*', rewrite: r.path.replaceFullPath };
        }
        if (r.hostname !== undefined) rewrite.authority = r.hostname;
        if (Object.keys(rewrite).length > 0) http.rewrite = rewrite;
        break;
      }
      case 'RequestMirror': {
        const m = filter.requestMirror!;
        const to = destination(scope, [...at, field, 'backendRef'], m.backendRef);
        if (!to) return;
        const percent = m.fraction ? (100 * m.fraction.numerator) / (m.fraction.denominator ?? 100) : m.percent;
        if (m.fraction && percent! > 100) ctx.report('error', keyAt(source, [...at, field, 'fraction']), 'a mirror fraction cannot be more than 1 (numerator above denominator)');
        http.mirrors = [...(http.mirrors ?? []), { destination: to, ...(percent !== undefined ? { percentage: { value: percent } } : {}) }];
        break;
      }
    }
  });
  if (http.redirect && http.rewrite) {
    ctx.report('error', keyAt(source, path), 'a rule takes a RequestRedirect or a URLRewrite filter, not both');
  }
}

// ---------- matches ----------

function match(scope: RouteScope, path: Path, m: HTTPRouteMatch): HTTPMatchRequest {
  const { ctx, source } = scope;
  const out: HTTPMatchRequest = {};
  const type = m.path?.type ?? 'PathPrefix';
  const value = m.path?.value ?? '/';
  if (type !== 'RegularExpression' && !value.startsWith('/')) {
    ctx.report('error', valueAt(source, [...path, 'path', 'value']), `path '${value}' does not start with /`, 'e.g. /productpage');
  }
  if (type === 'RegularExpression') checkRegex(source, [...path, 'path', 'value'], value, ctx.report);
  out.uri = type === 'Exact' ? { exact: value } : type === 'RegularExpression' ? { regex: value } : { prefix: value === '/' ? value : value.replace(/\/$/, '') };
  for (const list of ['headers', 'queryParams'] as const) {
    const matched: Record<string, { exact: string } | { regex: string }> = {};
    m[list]?.forEach((h, i) => {
      const name = list === 'headers' ? h.name.toLowerCase() : h.name;
      if (list === 'headers') {
        const problem = matchNameProblem(h.name);
        if (problem) ctx.report('error', valueAt(source, [...path, list, i, 'name']), `${formatPath([...path, list, i, 'name'])}: ${problem}`);
      }
      // The Gateway API: the first match of a name counts, later ones are ignored.
      if (name in matched) {
        ctx.report('warning', valueAt(source, [...path, list, i, 'name']), `${list === 'headers' ? 'header' : 'query parameter'} ${h.name} is matched twice; the first match counts`);
        return;
      }
      if (h.type === 'RegularExpression') checkRegex(source, [...path, list, i, 'value'], h.value, ctx.report);
      matched[name] = h.type === 'RegularExpression' ? { regex: h.value } : { exact: h.value };
    });
    if (Object.keys(matched).length > 0) out[list] = matched;
  }
  if (m.method) out.method = { exact: m.method };
  return out;
}

/**
 * The Gateway API's precedence among matches (HTTPRouteRule): an exact path before a prefix, a
 * longer prefix first, then a method match, more header matches, more query matches; Istio puts
 * a regex path after exact and before prefix paths. Ties keep the written order.
 */
function precedence(a: HTTPMatchRequest, b: HTTPMatchRequest): number {
  const rank = (m: HTTPMatchRequest) => (m.uri?.exact !== undefined ? 0 : m.uri?.regex !== undefined ? 1 : 2);
  return (
    rank(a) - rank(b) ||
    (b.uri?.prefix?.length ?? 0) - (a.uri?.prefix?.length ?? 0) ||
    Number(b.method !== undefined) - Number(a.method !== undefined) ||
    Object.keys(b.headers ?? {}).length - Object.keys(a.headers ?? {}).length ||
    Object.keys(b.queryParams ?? {}).length - Object.keys(a.queryParams ?? {}).length
  );
}

// ---------- rules ----------

/** A rule as one Istio route with all its matches (a mistake is reported; the route then answers 500). */
function rule(scope: RouteScope, path: Path, r: HTTPRouteRule, index: number): HTTPRoute {
  const { ctx, source, route } = scope;
  const http: HTTPRoute = { name: r.name ?? `${scope.namespace}.${route.metadata.name}.${index}` };
  if (r.matches?.length) http.match = r.matches.map((m, i) => match(scope, [...path, 'matches', i], m));
  applyFilters(scope, [...path, 'filters'], r.filters ?? [], http, false);
  const request = r.timeouts?.request;
  const backend = r.timeouts?.backendRequest;
  const timeout = backend !== undefined && !/^0+[a-z]*$/.test(backend) ? backend : request !== undefined && !/^0+[a-z]*$/.test(request) ? request : undefined;
  if (timeout) http.timeout = timeout;
  const refs = r.backendRefs ?? [];
  const total = refs.reduce((sum, b) => sum + (b.weight ?? 1), 0);
  if (http.redirect) return http;
  if (total === 0) {
    // The Gateway API: without a backend of weight above 0 the answer is a 500.
    if (refs.length === 0 && r.filters === undefined) {
      ctx.report('warning', keyAt(source, path), `rule ${formatPath(path)} has no backendRefs, so it answers 500`, 'add backendRefs: [{name: SERVICE, port: PORT}]');
    }
    http.directResponse = { status: 500 };
    return http;
  }
  const destinations = refs.map((b, j) => {
    const to = destination(scope, [...path, 'backendRefs', j], b);
    const headers: HTTPRoute = {};
    if (b.filters) applyFilters(scope, [...path, 'backendRefs', j, 'filters'], b.filters, headers, true);
    return to && { destination: to, weight: b.weight ?? 1, ...(headers.headers ? { headers: headers.headers } : {}) };
  });
  if (destinations.every((d) => d !== undefined)) http.route = destinations;
  else http.directResponse = { status: 500 }; // reported: the model is not built
  return http;
}

/** Each rule as one route per match, sorted by the Gateway API's precedence; `rules[i]` is the rule of route i. */
function routes(scope: RouteScope): { http: HTTPRoute[]; rules: number[] } {
  const split = (scope.route.spec.rules ?? []).flatMap((r, i) => {
    const http = rule(scope, ['spec', 'rules', i], r, i);
    // A rule without matches matches every request (a prefix /), as the Gateway API defaults it.
    const { match: matches, ...rest } = http;
    return (matches ?? [undefined]).map((m) => ({ http: m ? { ...rest, match: [m] } : rest, rule: i }));
  });
  const first = (h: HTTPRoute): HTTPMatchRequest => h.match?.[0] ?? { uri: { prefix: '/' } };
  const sorted = split.map((s, order) => ({ ...s, order })).sort((a, b) => precedence(first(a.http), first(b.http)) || a.order - b.order);
  return { http: sorted.map((s) => s.http), rules: sorted.map((s) => s.rule) };
}

// ---------- parents ----------

/** Whether a route hostname and a listener hostname (either may be `*.` wildcard) have a host in common. */
function hostnamesMeet(a: string, b: string): boolean {
  const covers = (p: string, h: string) => p === h || (p.startsWith('*.') && h.endsWith(p.slice(1)));
  return covers(a, b) || covers(b, a);
}

function gatewayParent(scope: RouteScope, path: Path, ref: ParentRef, gateways: TranslatedGateways): string[] {
  const { ctx, source, route, namespace } = scope;
  const key = `${ref.namespace ?? namespace}/${ref.name}`;
  if (!gateways.declared.has(key)) {
    const known = [...gateways.declared];
    ctx.report('error', valueAt(source, [...path, 'name']), `Gateway ${key} is not defined${didYouMean(key, known)}`,
      known.length ? `Gateways (gateway.networking.k8s.io, class istio) in this mesh: ${known.join(', ')}` : 'define a Gateway of gatewayClassName istio, or bind the route to a Service (kind: Service) for calls inside the mesh');
    return [];
  }
  let listeners: ListenerModel[] = gateways.listeners.filter((l) => l.gateway === key);
  if (listeners.length === 0) {
    ctx.report('warning', valueAt(source, [...path, 'name']), `Gateway ${key} has no listener localmesh serves (HTTP), so this route is not served through it`);
    return [];
  }
  if (ref.sectionName !== undefined) {
    listeners = listeners.filter((l) => l.name === ref.sectionName);
    if (listeners.length === 0) {
      ctx.report('error', valueAt(source, [...path, 'sectionName']), `Gateway ${key} has no served listener named ${ref.sectionName}`,
        `its HTTP listeners: ${gateways.listeners.filter((l) => l.gateway === key).map((l) => l.name).join(', ') || '(none)'}`);
      return [];
    }
  }
  if (ref.port !== undefined) listeners = listeners.filter((l) => l.port === ref.port);
  const allowed = listeners.filter((l) => l.routesFrom === '*' || l.routesFrom === namespace);
  if (listeners.length > 0 && allowed.length === 0) {
    ctx.report('warning', valueAt(source, path), `Gateway ${key} does not admit routes from namespace ${namespace} (allowedRoutes), so this route is not bound to it`,
      `its listeners take routes from namespace ${listeners[0]!.routesFrom}; set allowedRoutes.namespaces.from: All there`);
    return [];
  }
  const hostnames = route.spec.hostnames;
  const meeting = hostnames?.length ? allowed.filter((l) => l.hostname === undefined || hostnames.some((h) => hostnamesMeet(h, l.hostname!))) : allowed;
  if (allowed.length > 0 && meeting.length === 0) {
    ctx.report('warning', keyAt(source, ['spec', 'hostnames']), `no hostname of HTTPRoute ${route.metadata.name} is served by the listeners of Gateway ${key}, so the gateway never uses it`,
      `the listeners serve ${allowed.map((l) => l.hostname).join(', ')}`);
  }
  if (listeners.length === 0 && ref.port !== undefined) {
    ctx.report('error', valueAt(source, [...path, 'port']), `Gateway ${key} has no served listener on port ${ref.port}`);
  }
  return meeting.map((l) => l.key);
}

function serviceParent(scope: RouteScope, path: Path, ref: ParentRef): ServiceModel | undefined {
  const { ctx, source, namespace } = scope;
  const ns = ref.namespace ?? namespace;
  const service = resolveHost(ctx.services, ref.name, ns);
  if (!service) {
    const version = scope.versionServices.find((v) => v.fqdn === fqdn(ref.name, ns));
    const { message, hint } = unknownHost('parentRef', ref.name, ns, ctx.services);
    ctx.report('error', valueAt(source, [...path, 'name']),
      version ? `routing calls to Service ${ref.name}, which names versions of ${version.service.split('.')[0]}, is not supported yet by localmesh` : message,
      version ? `bind the route to ${version.service.split('.')[0]}, and route to ${ref.name} in backendRefs` : hint);
    return undefined;
  }
  if (ref.port !== undefined && !service.ports.some((p) => p.port === ref.port)) {
    ctx.report('error', valueAt(source, [...path, 'port']), `Service ${ref.name} does not expose port ${ref.port}`, `its ports: ${service.ports.map((p) => p.port).join(', ')}`);
    return undefined;
  }
  if (ref.sectionName !== undefined) {
    ctx.report('error', valueAt(source, [...path, 'sectionName']), 'a parentRef to a Service takes a port, not a sectionName, in localmesh', `use port: ${service.ports[0]?.port ?? 9080}`);
  }
  return service;
}

function translateRoute(scope: RouteScope, gateways: TranslatedGateways): Located<VirtualServiceModel>[] {
  const { ctx, source, route, namespace } = scope;
  const { name } = route.metadata;
  route.spec.hostnames?.forEach((host, i) => {
    const problem = wildcardDomainProblem(host) ?? (host === '*' ? "a hostname cannot be '*'; leave hostnames out to match every host" : undefined);
    if (problem) ctx.report('error', valueAt(source, ['spec', 'hostnames', i]), problem, 'e.g. bookinfo.example.com or *.example.com');
  });
  const parents = route.spec.parentRefs ?? [];
  if (parents.length === 0) {
    ctx.report('warning', keyAt(source, ['spec']), `HTTPRoute ${name} has no parentRefs, so it routes nothing`,
      'bind it to a Gateway (parentRefs: [{name: GATEWAY}]) or to a Service (parentRefs: [{kind: Service, name: SERVICE, port: PORT}])');
    return [];
  }
  if (!route.spec.rules?.length) {
    ctx.report('warning', keyAt(source, ['spec']), `HTTPRoute ${name} has no rules, so it routes nothing`);
  }
  const { http, rules } = routes(scope);
  const base = { name, namespace, source: valueAt(source, []), from: { kind: 'HTTPRoute' as const, rules } };
  const out: Located<VirtualServiceModel>[] = [];
  parents.forEach((ref, i) => {
    const path = ['spec', 'parentRefs', i];
    const kind = ref.kind ?? 'Gateway';
    if (kind === 'Gateway' && (ref.group ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP) {
      const keys = gatewayParent(scope, path, ref, gateways);
      if (keys.length === 0) return;
      const hosts = route.spec.hostnames?.length ? [...route.spec.hostnames] : ['*'];
      out.push({ source, item: { ...base, spec: { hosts, gateways: keys, http }, services: [], gateways: keys } });
    } else if (kind === 'Service' && (ref.group === undefined || CORE_GROUPS.has(ref.group) || ref.group === GATEWAY_API_GROUP)) {
      // GAMMA: the spec's group is core (""); Istio's docs leave it out, which Istio accepts too.
      const service = serviceParent(scope, path, ref);
      if (!service) return;
      const port = ref.port;
      const bound = port === undefined ? http : http.map((h) => ({ ...h, match: (h.match ?? [{}]).map((m) => ({ ...m, port })) }));
      out.push({ source, item: { ...base, spec: { hosts: [service.fqdn], http: bound }, services: [service.fqdn], gateways: [MESH_GATEWAY] } });
    } else {
      ctx.report('error', valueAt(source, [...path, ref.kind !== undefined ? 'kind' : 'group']),
        `a parentRef to a ${kind} of group '${ref.group ?? GATEWAY_API_GROUP}' is not supported; an HTTPRoute binds to a Gateway or to a Service`);
    }
  });
  return out;
}

/** The VirtualServices every HTTPRoute of the mesh stands for, in file order. */
export function translateRoutes(ctx: CheckContext, resources: readonly ParsedResource[], gateways: TranslatedGateways, versionServices: readonly VersionServiceModel[]): Located<VirtualServiceModel>[] {
  const out: Located<VirtualServiceModel>[] = [];
  const seen = new Map<string, string>();
  for (const r of resources) {
    if (r.kind !== 'HTTPRoute') continue;
    const namespace = r.value.metadata.namespace ?? DEFAULT_NAMESPACE;
    const key = `${namespace}/${r.value.metadata.name}`;
    const at = valueAt(r.source, ['metadata', 'name']);
    const first = seen.get(key);
    if (first) {
      ctx.report('error', at, `HTTPRoute ${key} is defined twice`, `the first is at ${first}; give one of them another name`);
      continue;
    }
    seen.set(key, formatRef(at));
    out.push(...translateRoute({ ctx, source: r.source, route: r.value as HTTPRouteKind, namespace, versionServices }, gateways));
  }
  return out;
}
