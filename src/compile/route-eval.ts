// What an Envoy HTTP connection manager does with one request, worked out from its
// RouteConfiguration alone (the JSON the compiler produced), without running Envoy: the virtual
// host (domain search order: exact, longest suffix wildcard, longest prefix wildcard, `*`; the
// host compared case-insensitively and with its port, as Envoy does without
// `ignore_port_in_host_matching`), the first route whose match holds (prefix, path and
// safe_regex on the path without its query string, as Envoy's PathMatcher strips it, whatever
// its docs say of prefix; `case_sensitive: false` for prefix and path only; header matchers exact/prefix/suffix/contains/safe_regex/present with
// invert_match; query parameter matchers on the first value, not decoded), and what the route does. Regexes
// are RE2 (re2js, a port of the engine Envoy uses), matched against the whole input as Envoy's
// safe_regex does. Pure: JSON and a request in, a decision out; knows nothing of Istio.
import { RE2JS } from 're2js';
import type { EnvoyJson } from '../envoy/snapshot.ts';
import { parseDuration } from '../config/duration.ts';

export interface HttpRequest {
  /** The Host header (`:authority`) as sent, port included when the client sends one. */
  authority: string;
  /** `:path`, query string included. */
  path: string;
  method: string;
  /** Lower-case names. */
  headers: Readonly<Record<string, string>>;
  scheme?: 'http' | 'https';
}

export interface HeaderOperation {
  key: string;
  value: string;
  /** Envoy's append_action: OVERWRITE_IF_EXISTS_OR_ADD (set) or APPEND_IF_EXISTS_OR_ADD (add). */
  append: boolean;
}

export interface HeaderOperations {
  requestAdd: HeaderOperation[];
  requestRemove: string[];
  responseAdd: HeaderOperation[];
  responseRemove: string[];
}

export interface ForwardTarget {
  cluster: string;
  /** Share of the traffic in percent (100 for a single cluster). */
  percent: number;
  /** Header operations of this weighted cluster only. */
  headers: HeaderOperations;
  /** The Host the upstream sees when this target is picked. */
  authority: string;
}

export interface Fault {
  delay?: { ms: number; percent: number };
  abort?: { httpStatus?: number; grpcStatus?: number; percent: number };
}

export interface Retries {
  attempts: number;
  retryOn: string[];
  perTryTimeoutMs?: number;
}

interface Matched {
  virtualHost: string;
  /** The route's name ('' when unnamed). */
  route: string;
  /** Route, virtual host and route configuration header operations, in Envoy's order of application. */
  headers: HeaderOperations;
  fault?: Fault;
}

export type RouteDecision =
  /** The connection manager refuses the request before routing (Envoy answers 400). */
  | { kind: 'rejected'; status: number; why: string }
  | { kind: 'no-virtual-host' }
  | { kind: 'no-route'; virtualHost: string }
  | (Matched & { kind: 'direct'; status: number; body?: string })
  | (Matched & { kind: 'redirect'; status: number; location: string })
  | (Matched & {
      kind: 'forward';
      targets: ForwardTarget[];
      /** The :path the upstream sees (after prefix_rewrite / regex_rewrite). */
      path: string;
      /** Milliseconds; 0 is no timeout. */
      timeoutMs: number;
      retries?: Retries;
      mirrors: Array<{ cluster: string; percent: number }>;
    });

/** Envoy's status for a request no virtual host or route takes. */
export const NOT_FOUND = 404;

export function evaluateRoute(config: EnvoyJson, request: HttpRequest): RouteDecision {
  // Envoy's HTTP connection manager rejects a fragment in :path by default (a client never sends one).
  if (request.path.includes('#')) return { kind: 'rejected', status: 400, why: 'a fragment (#) in the path' };
  const vhost = findVirtualHost(list(config['virtual_hosts']), request.authority);
  if (!vhost) return { kind: 'no-virtual-host' };
  const virtualHost = String(vhost['name'] ?? '');
  const route = list(vhost['routes']).find((r) => routeMatches(obj(r['match']), request));
  if (!route) return { kind: 'no-route', virtualHost };
  const headers = concatOperations([operations(route), operations(vhost), operations(config)]);
  const fault = faultOf(route);
  const matched: Matched = { virtualHost, route: String(route['name'] ?? ''), headers, ...(fault ? { fault } : {}) };
  if (route['direct_response']) {
    const d = obj(route['direct_response']);
    const body = obj(d['body']);
    const text = body['inline_string'] ?? (body['inline_bytes'] !== undefined ? Buffer.from(String(body['inline_bytes']), 'base64').toString() : undefined);
    return { ...matched, kind: 'direct', status: Number(d['status']), ...(text !== undefined ? { body: String(text) } : {}) };
  }
  if (route['redirect']) return { ...matched, kind: 'redirect', ...redirect(obj(route['redirect']), request) };
  const action = obj(route['route']);
  return { ...matched, kind: 'forward', ...forward(action, obj(route['match']), request) };
}

// ---------- virtual hosts ----------

/** Envoy's domain search: exact, then the longest suffix wildcard, the longest prefix wildcard, then `*`. */
export function findVirtualHost(vhosts: readonly EnvoyJson[], authority: string): EnvoyJson | undefined {
  const host = authority.toLowerCase();
  let suffix: { vhost: EnvoyJson; length: number } | undefined;
  let prefix: { vhost: EnvoyJson; length: number } | undefined;
  let any: EnvoyJson | undefined;
  for (const vhost of vhosts) {
    for (const raw of list<string>(vhost['domains'])) {
      const domain = raw.toLowerCase();
      if (domain === '*') any ??= vhost;
      else if (domain.startsWith('*')) {
        // The wildcard matches at least one character (Envoy: `*.foo.com` does not match `.foo.com`).
        const rest = domain.slice(1);
        if (host.length > rest.length && host.endsWith(rest) && (!suffix || rest.length > suffix.length)) suffix = { vhost, length: rest.length };
      } else if (domain.endsWith('*')) {
        const rest = domain.slice(0, -1);
        if (host.length > rest.length && host.startsWith(rest) && (!prefix || rest.length > prefix.length)) prefix = { vhost, length: rest.length };
      } else if (domain === host) return vhost;
    }
  }
  return suffix?.vhost ?? prefix?.vhost ?? any;
}

// ---------- route match ----------

/** The path Envoy's path matchers see: without query string and fragment. */
function withoutQuery(path: string): string {
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}

const regexCache = new Map<string, RE2JS>();

/** RE2, whole-input match (Envoy's safe_regex). */
export function fullMatch(pattern: string, input: string): boolean {
  return compiled(pattern).matches(input);
}

function compiled(pattern: string): RE2JS {
  let re = regexCache.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    regexCache.set(pattern, re);
  }
  return re;
}

function routeMatches(match: EnvoyJson, request: HttpRequest): boolean {
  if (match['connect_matcher'] !== undefined) {
    if (request.method !== 'CONNECT') return false;
  } else {
    // A CONNECT request has no path in HTTP/1.1: only connect_matcher routes take it.
    if (request.method === 'CONNECT') return false;
    const caseSensitive = match['case_sensitive'] !== false;
    const fold = (s: string) => (caseSensitive ? s : s.toLowerCase());
    if (match['prefix'] !== undefined) {
      if (!fold(withoutQuery(request.path)).startsWith(fold(String(match['prefix'])))) return false;
    } else if (match['path'] !== undefined) {
      if (fold(withoutQuery(request.path)) !== fold(String(match['path']))) return false;
    } else if (match['safe_regex'] !== undefined) {
      if (!fullMatch(String(obj(match['safe_regex'])['regex']), withoutQuery(request.path))) return false;
    } else if (match['path_separated_prefix'] !== undefined) {
      const p = fold(String(match['path_separated_prefix']));
      const path = fold(withoutQuery(request.path));
      if (!(path === p || path.startsWith(`${p}/`))) return false;
    } else return false;
  }
  for (const header of list(match['headers'])) if (!headerMatches(header, request)) return false;
  const query = match['query_parameters'] ? queryParameters(request.path) : undefined;
  for (const matcher of list(match['query_parameters'])) if (!queryMatches(matcher, query!)) return false;
  return true;
}

/** A header's value as Envoy's matchers see it; pseudo-headers from the request line. */
function headerValue(name: string, request: HttpRequest): string | undefined {
  const lower = name.toLowerCase();
  if (lower === ':authority' || lower === 'host') return request.authority;
  if (lower === ':method') return request.method;
  if (lower === ':path') return request.path;
  if (lower === ':scheme') return request.scheme ?? 'http';
  return request.headers[lower];
}

function headerMatches(matcher: EnvoyJson, request: HttpRequest): boolean {
  const value = headerValue(String(matcher['name']), request);
  let result: boolean;
  if (matcher['present_match'] !== undefined) result = (value !== undefined) === (matcher['present_match'] === true);
  else if (value === undefined) result = false;
  else if (matcher['string_match'] !== undefined) result = stringMatches(obj(matcher['string_match']), value);
  else if (matcher['exact_match'] !== undefined) result = value === matcher['exact_match'];
  else if (matcher['prefix_match'] !== undefined) result = value.startsWith(String(matcher['prefix_match']));
  else if (matcher['suffix_match'] !== undefined) result = value.endsWith(String(matcher['suffix_match']));
  else if (matcher['contains_match'] !== undefined) result = value.includes(String(matcher['contains_match']));
  else if (matcher['safe_regex_match'] !== undefined) result = fullMatch(String(obj(matcher['safe_regex_match'])['regex']), value);
  else result = true; // no matcher: the header is present
  // Envoy inverts the result, a missing header included (an inverted exact match holds then).
  return matcher['invert_match'] === true ? !result : result;
}

/** Envoy's StringMatcher. */
export function stringMatches(m: EnvoyJson, value: string): boolean {
  const fold = (s: string) => (m['ignore_case'] === true ? s.toLowerCase() : s);
  if (m['exact'] !== undefined) return fold(value) === fold(String(m['exact']));
  if (m['prefix'] !== undefined) return fold(value).startsWith(fold(String(m['prefix'])));
  if (m['suffix'] !== undefined) return fold(value).endsWith(fold(String(m['suffix'])));
  if (m['contains'] !== undefined) return fold(value).includes(fold(String(m['contains'])));
  if (m['safe_regex'] !== undefined) return fullMatch(String(obj(m['safe_regex'])['regex']), value);
  return false;
}

/**
 * The query string's parameters as Envoy's route matcher reads them: not percent-decoded (real
 * Envoy matches `q=%31` as `%31`, not `1`), the first value of each name kept.
 */
function queryParameters(path: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = path.indexOf('?');
  if (q < 0) return out;
  for (const part of path.slice(q + 1).split('#')[0]!.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!out.has(name)) out.set(name, eq < 0 ? '' : part.slice(eq + 1));
  }
  return out;
}

function queryMatches(matcher: EnvoyJson, query: Map<string, string>): boolean {
  const value = query.get(String(matcher['name']));
  if (matcher['present_match'] !== undefined) return (value !== undefined) === (matcher['present_match'] === true);
  if (value === undefined) return false;
  if (matcher['string_match'] !== undefined) return stringMatches(obj(matcher['string_match']), value);
  return true;
}

// ---------- actions ----------

function operations(json: EnvoyJson): HeaderOperations {
  const add = (key: string) =>
    list(json[key]).map((h) => {
      const header = obj(h['header']);
      return { key: String(header['key']), value: String(header['value'] ?? ''), append: h['append_action'] === 'APPEND_IF_EXISTS_OR_ADD' };
    });
  return {
    requestAdd: add('request_headers_to_add'),
    requestRemove: list<string>(json['request_headers_to_remove']),
    responseAdd: add('response_headers_to_add'),
    responseRemove: list<string>(json['response_headers_to_remove']),
  };
}

export function concatOperations(all: readonly HeaderOperations[]): HeaderOperations {
  return {
    requestAdd: all.flatMap((o) => o.requestAdd),
    requestRemove: all.flatMap((o) => o.requestRemove),
    responseAdd: all.flatMap((o) => o.responseAdd),
    responseRemove: all.flatMap((o) => o.responseRemove),
  };
}

const FRACTION: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

/** A FractionalPercent as a percentage. */
function percentOf(fraction: unknown): number {
  const f = obj(fraction);
  const denominator = FRACTION[String(f['denominator'] ?? 'HUNDRED')] ?? 100;
  return (Number(f['numerator'] ?? 0) * 100) / denominator;
}

function faultOf(route: EnvoyJson): Fault | undefined {
  const config = obj(obj(route['typed_per_filter_config'])['envoy.filters.http.fault']);
  const out: Fault = {};
  const delay = obj(config['delay']);
  if (delay['fixed_delay'] !== undefined) out.delay = { ms: durationMs(delay['fixed_delay']), percent: percentOf(delay['percentage']) };
  const abort = obj(config['abort']);
  if (abort['http_status'] !== undefined || abort['grpc_status'] !== undefined) {
    out.abort = {
      ...(abort['http_status'] !== undefined ? { httpStatus: Number(abort['http_status']) } : {}),
      ...(abort['grpc_status'] !== undefined ? { grpcStatus: Number(abort['grpc_status']) } : {}),
      percent: percentOf(abort['percentage']),
    };
  }
  return out.delay || out.abort ? out : undefined;
}

function durationMs(value: unknown): number {
  return parseDuration(String(value)) ?? 0;
}

const REDIRECT_STATUS: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

/** The Location Envoy writes: scheme, host and port, path (query kept unless the new path has one). */
function redirect(r: EnvoyJson, request: HttpRequest): { status: number; location: string } {
  const scheme = r['scheme_redirect'] !== undefined ? String(r['scheme_redirect']) : (request.scheme ?? 'http');
  let host = r['host_redirect'] !== undefined ? String(r['host_redirect']) : request.authority;
  if (r['port_redirect'] !== undefined) host = `${hostWithoutPort(host)}:${Number(r['port_redirect'])}`;
  let path = request.path;
  if (r['path_redirect'] !== undefined) {
    const target = String(r['path_redirect']);
    const q = request.path.indexOf('?');
    path = target.includes('?') || q < 0 || r['strip_query'] === true ? target : target + request.path.slice(q);
  } else if (r['strip_query'] === true) path = withoutQuery(path);
  return { status: REDIRECT_STATUS[String(r['response_code'] ?? 'MOVED_PERMANENTLY')] ?? 301, location: `${scheme}://${host}${path}` };
}

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function forward(action: EnvoyJson, match: EnvoyJson, request: HttpRequest) {
  const hostRewrite = action['host_rewrite_literal'] !== undefined ? String(action['host_rewrite_literal']) : undefined;
  const none = operations({});
  let targets: ForwardTarget[];
  if (action['weighted_clusters'] !== undefined) {
    const clusters = list(obj(action['weighted_clusters'])['clusters']);
    const total = clusters.reduce((n, c) => n + Number(c['weight'] ?? 0), 0);
    targets = clusters
      .filter((c) => Number(c['weight'] ?? 0) > 0)
      .map((c) => ({
        cluster: String(c['name']),
        percent: (100 * Number(c['weight'])) / total,
        headers: operations(c),
        authority: c['host_rewrite_literal'] !== undefined ? String(c['host_rewrite_literal']) : (hostRewrite ?? request.authority),
      }));
  } else {
    targets = [{ cluster: String(action['cluster']), percent: 100, headers: none, authority: hostRewrite ?? request.authority }];
  }
  const retry = action['retry_policy'] ? obj(action['retry_policy']) : undefined;
  const retries: Retries | undefined = retry && {
    attempts: Number(retry['num_retries'] ?? 1),
    retryOn: [
      ...String(retry['retry_on'] ?? '').split(',').filter(Boolean),
      ...list<number>(retry['retriable_status_codes']).map(String),
    ],
    ...(retry['per_try_timeout'] !== undefined ? { perTryTimeoutMs: durationMs(retry['per_try_timeout']) } : {}),
  };
  return {
    targets,
    path: rewrittenPath(action, match, request.path),
    // Envoy's default route timeout is 15 s when the route says nothing.
    timeoutMs: action['timeout'] !== undefined ? durationMs(action['timeout']) : 15_000,
    ...(retries ? { retries } : {}),
    mirrors: list(action['request_mirror_policies']).map((m) => ({
      cluster: String(m['cluster']),
      percent: m['runtime_fraction'] ? percentOf(obj(m['runtime_fraction'])['default_value']) : 100,
    })),
  };
}

/**
 * prefix_rewrite replaces what the route matched (the prefix, the exact path, or with a regex
 * the whole path) and keeps the rest; regex_rewrite substitutes every match in the path (RE2's
 * GlobalReplace, `\N` for groups) and keeps the query.
 */
function rewrittenPath(action: EnvoyJson, match: EnvoyJson, path: string): string {
  if (action['prefix_rewrite'] !== undefined) {
    const literal = match['prefix'] ?? match['path'] ?? match['path_separated_prefix'];
    const matched = literal !== undefined ? String(literal).length : withoutQuery(path).length;
    return String(action['prefix_rewrite']) + path.slice(matched);
  }
  if (action['regex_rewrite'] !== undefined) {
    const r = obj(action['regex_rewrite']);
    const q = path.indexOf('?');
    const [bare, query] = q < 0 ? [path, ''] : [path.slice(0, q), path.slice(q)];
    const substitution = String(r['substitution'] ?? '').replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
    return compiled(String(obj(r['pattern'])['regex'])).matcher(bare).replaceAll(substitution) + query;
  }
  return path;
}

// ---------- JSON access ----------

function list<T = EnvoyJson>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function obj(value: unknown): EnvoyJson {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as EnvoyJson) : {};
}
