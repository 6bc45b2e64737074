// A route test against the compiled mesh: the request is put to the route configuration the
// source proxy is served (a sidecar's `outbound`, the gateway's `http.PORT`), evaluated with
// Envoy's semantics (compile/route-eval.ts), and every expectation is compared with what that
// proxy would do. Pure: model, compiled mesh and test in, outcomes and failures out.
import type { MeshModel } from '../config/model.ts';
import { hostFqdn } from '../config/model.ts';
import { GATEWAY_PROXY, parseCluster } from '../config/names.ts';
import { parseDuration } from '../config/duration.ts';
import type { SourceRef } from '../config/model.ts';
import type { CompiledMesh } from '../compile/index.ts';
import { gatewayRoutes, OUTBOUND } from '../compile/names.ts';
import { evaluateRoute, NOT_FOUND, type ForwardTarget, type HeaderOperations, type HttpRequest, type RouteDecision } from '../compile/route-eval.ts';
import type { DestinationSpec, Expectations, RouteTestCase, TestRequest } from './file.ts';

/** Where the request leaves from, and what it looks like there. */
export interface Probe {
  proxy: string;
  /** The Gateway server port, or the service port the app calls. */
  port: number;
  request: HttpRequest;
}

export type Decision = RouteDecision | { kind: 'no-listener'; port: number };

export interface Outcome {
  probe: Probe;
  decision: Decision;
}

export interface Failure {
  expectation: keyof Expectations | 'request';
  at: SourceRef;
  message: string;
}

export interface TestResult {
  test: RouteTestCase;
  outcomes: Outcome[];
  failures: Failure[];
}

/** A destination as a cluster names it, the host short when it is in the mesh's namespace. */
export interface Target {
  host: string;
  subset: string;
  port: number;
}

const GRPC_CODES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL',
  'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

// ---------- the request at its proxy ----------

/**
 * The proxies a test's request leaves from (every version of a source service without a
 * version), or a sentence on why there is none.
 */
export function probes(model: MeshModel, request: TestRequest): Probe[] | { field: 'source' | 'host'; problem: string } {
  const problem = (field: 'source' | 'host', text: string) => ({ field, problem: text });
  const method = (request.method ?? 'GET').toUpperCase();
  const path = request.path ?? '/';
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const scheme = request.scheme ?? 'http';
  if (request.source === 'gateway') {
    const ports = [...new Set(model.gateways.flatMap((g) => g.spec.servers.filter((s) => HTTP_SERVERS.has(s.port.protocol)).map((s) => s.port.number)))].sort((a, b) => a - b);
    if (ports.length === 0) return problem('source', 'the mesh has no Gateway with an HTTP server; source: gateway needs one');
    const port = request.port ?? (ports.includes(80) ? 80 : ports[0]!);
    return [{ proxy: GATEWAY_PROXY, port, request: { authority: request.host, path, method, headers, scheme } }];
  }
  const [serviceName, versionName, extra] = request.source.split('/');
  const service = model.services.find((s) => s.name === serviceName);
  if (!service || extra !== undefined) {
    return problem('source', `no service '${request.source}' to send from; source is SERVICE, SERVICE/VERSION or gateway (services: ${model.services.map((s) => s.name).join(', ')})`);
  }
  const versions = versionName === undefined ? service.versions : service.versions.filter((v) => v.name === versionName);
  if (versions.length === 0) return problem('source', `service ${service.name} has no version '${versionName}' (versions: ${service.versions.map((v) => v.name).join(', ')})`);
  let port = request.port;
  if (port === undefined) {
    // The names an app in the source's namespace calls a service by: short (its own namespace's), NAME.NS, NAME.NS.svc, the FQDN.
    const host = request.host.replace(/:\d+$/, '');
    const target = model.services.find((s) => s.fqdn === hostFqdn(host, service.namespace) || s.fqdn === `${host}.svc.cluster.local` || s.fqdn === `${host}.cluster.local`);
    const http = target?.ports.filter((p) => p.protocol !== 'tcp') ?? [];
    if (http.length > 1) return problem('host', `${request.host} has several HTTP ports (${http.map((p) => p.port).join(', ')}); give the request a port`);
    port = http[0]?.port ?? 80;
  }
  const authority = request.host.includes(':') || port === 80 ? request.host : `${request.host}:${port}`;
  return versions.map((v) => ({ proxy: v.proxy, port, request: { authority, path, method, headers, scheme } }));
}

const HTTP_SERVERS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

/** What the proxy does with the request, by the route configuration it is served. */
export function decide(compiled: CompiledMesh, probe: Probe): Decision {
  const snapshot = compiled.snapshots.find((s) => s.proxy === probe.proxy);
  const name = probe.proxy === GATEWAY_PROXY ? gatewayRoutes(probe.port) : OUTBOUND;
  const config = snapshot?.routes.find((r) => r.name === name);
  if (!config) return { kind: 'no-listener', port: probe.port };
  return evaluateRoute(config.value, probe.request);
}

export function runTest(model: MeshModel, compiled: CompiledMesh, test: RouteTestCase): TestResult {
  const found = probes(model, test.request);
  if (!Array.isArray(found)) return { test, outcomes: [], failures: [{ expectation: 'request', at: test.requestAt(found.field), message: found.problem }] };
  const outcomes = found.map((probe) => ({ probe, decision: decide(compiled, probe) }));
  const failures: Failure[] = [];
  for (const outcome of outcomes) {
    const from = outcomes.length > 1 ? ` (from ${outcome.probe.proxy})` : '';
    for (const [key, message] of compare(model, test.expect, outcome.decision)) {
      failures.push({ expectation: key, at: test.expectationAt(key), message: message + from });
    }
  }
  return { test, outcomes, failures };
}

// ---------- describing outcomes ----------

export function target(model: MeshModel, cluster: string): Target | undefined {
  const parsed = parseCluster(cluster);
  if (!parsed || parsed.direction !== 'outbound') return undefined;
  const suffix = `.${model.namespace}.svc.cluster.local`;
  const host = parsed.host.endsWith(suffix) ? parsed.host.slice(0, -suffix.length) : parsed.host;
  return { host, subset: parsed.subset, port: parsed.port };
}

/** `host/subset/port` (`host//port` for every version), or the cluster's own name. */
export function formatCluster(model: MeshModel, cluster: string): string {
  const t = target(model, cluster);
  return t ? `${t.host}/${t.subset}/${t.port}` : cluster;
}

/** The status the proxy answers with itself, when it does. */
export function proxyStatus(decision: Decision): number | undefined {
  switch (decision.kind) {
    case 'no-virtual-host':
    case 'no-route':
      return NOT_FOUND;
    case 'no-listener':
      return undefined;
    case 'rejected':
    case 'direct':
    case 'redirect':
      return decision.status;
    case 'forward':
      return decision.fault?.abort?.httpStatus !== undefined && decision.fault.abort.percent >= 100 ? decision.fault.abort.httpStatus : undefined;
  }
}

/** One line: what the proxy does. */
export function describe(model: MeshModel, decision: Decision): string {
  switch (decision.kind) {
    case 'no-listener':
      return `nothing listens on gateway port ${decision.port}`;
    case 'rejected':
      return `${decision.status}: the proxy rejects ${decision.why}`;
    case 'no-virtual-host':
      return '404: no virtual host for this Host';
    case 'no-route':
      return `404: no route of ${decision.virtualHost} matches`;
    case 'direct':
      return `${decision.status} direct response${decision.body !== undefined ? ` '${decision.body}'` : ''}`;
    case 'redirect':
      return `${decision.status} redirect to ${decision.location}`;
    case 'forward': {
      const to = decision.targets.map((t) => formatCluster(model, t.cluster) + (decision.targets.length > 1 ? ` ${round(t.percent)}%` : '')).join(', ');
      const abort = proxyStatus(decision);
      return abort !== undefined ? `${abort} fault abort (route to ${to})` : `→ ${to}`;
    }
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

// ---------- expectations ----------

/** Whether a cluster is the destination a test names: the parts given must agree. */
export function destinationMatches(model: MeshModel, spec: DestinationSpec, cluster: string): boolean {
  const parsed = parseCluster(cluster);
  if (!parsed || parsed.direction !== 'outbound') return typeof spec === 'string' && spec === cluster;
  const [host, subset, port] =
    typeof spec === 'string' ? (spec.split('/') as [string, string?, string?]) : [spec.host, spec.subset, spec.port?.number?.toString()];
  if (hostFqdn(host, model.namespace) !== parsed.host) return false;
  if (subset !== undefined && subset !== parsed.subset) return false;
  if (port !== undefined && port !== '' && Number(port) !== parsed.port) return false;
  return true;
}

function formatSpec(spec: DestinationSpec): string {
  return typeof spec === 'string' ? spec : [spec.host, spec.subset, spec.port?.number].filter((p) => p !== undefined).join('/');
}

type Compared = Array<[keyof Expectations, string]>;

/** Each expectation that does not hold, with a sentence saying what the proxy does instead. */
export function compare(model: MeshModel, expect: Expectations, decision: Decision): Compared {
  const out: Compared = [];
  const what = describe(model, decision);
  const forward = decision.kind === 'forward' ? decision : undefined;
  const needForward = (key: keyof Expectations) => {
    if (!forward) out.push([key, `the request is not forwarded: ${what}`]);
    return forward;
  };

  if (expect.destination !== undefined && needForward('destination')) {
    const wrong = forward!.targets.filter((t) => !destinationMatches(model, expect.destination!, t.cluster));
    if (wrong.length > 0) out.push(['destination', `expected ${formatSpec(expect.destination)}, the proxy routes ${what}`]);
  }
  if (expect.weights !== undefined && needForward('weights')) {
    const specs = Object.entries(expect.weights);
    const problems: string[] = [];
    for (const [spec, percent] of specs) {
      const got = forward!.targets.filter((t) => destinationMatches(model, spec, t.cluster)).reduce((n, t) => n + t.percent, 0);
      if (Math.abs(got - percent) > 0.01) problems.push(`${spec} gets ${round(got)}%, not ${percent}%`);
    }
    const unlisted = forward!.targets.filter((t) => !specs.some(([spec]) => destinationMatches(model, spec, t.cluster)));
    for (const t of unlisted) problems.push(`${formatCluster(model, t.cluster)} gets ${round(t.percent)}% and is not listed`);
    if (problems.length > 0) out.push(['weights', `${problems.join('; ')} (the proxy routes ${what})`]);
  }
  if (expect.status !== undefined) {
    const status = proxyStatus(decision);
    if (status === undefined) {
      out.push(['status', `expected status ${expect.status}, but the proxy forwards (${what}): the status is the app's`]);
    } else if (status !== expect.status) out.push(['status', `expected status ${expect.status}, got ${what}`]);
  }
  if (expect.route !== undefined) {
    const route = 'route' in decision ? decision.route : undefined;
    if (route !== expect.route) out.push(['route', `expected route '${expect.route}', ${route === undefined ? `no route takes it (${what})` : `route '${route}' takes it`}`]);
  }
  if (expect.redirect !== undefined) {
    if (decision.kind !== 'redirect') out.push(['redirect', `expected a redirect to ${expect.redirect}, got ${what}`]);
    else if (decision.location !== expect.redirect) out.push(['redirect', `expected a redirect to ${expect.redirect}, got ${decision.location}`]);
  }
  if (expect.body !== undefined && !(decision.kind === 'direct' && decision.body === expect.body)) {
    out.push(['body', `expected a direct response with body '${expect.body}', got ${what}`]);
  }
  if (expect.headers !== undefined && 'headers' in decision) {
    const problems = headerProblems(expect.headers, decision.headers, forward?.targets ?? []);
    if (problems.length > 0) out.push(['headers', problems.join('; ')]);
  } else if (expect.headers !== undefined) out.push(['headers', `no route takes the request: ${what}`]);
  if (expect.rewrite !== undefined && needForward('rewrite')) {
    const { uri, authority } = expect.rewrite;
    const path = uri !== undefined && !uri.includes('?') ? forward!.path.split('?')[0]! : forward!.path;
    if (uri !== undefined && path !== uri) out.push(['rewrite', `expected the upstream to see path ${uri}, it sees ${path}`]);
    const hosts = [...new Set(forward!.targets.map((t) => t.authority))];
    if (authority !== undefined && hosts.some((h) => h !== authority)) out.push(['rewrite', `expected the upstream to see Host ${authority}, it sees ${hosts.join(' or ')}`]);
  }
  if (expect.timeout !== undefined && needForward('timeout')) {
    const want = expect.timeout === 'none' ? 0 : parseDuration(expect.timeout)!;
    if (want !== forward!.timeoutMs) out.push(['timeout', `expected ${expect.timeout === 'none' ? 'no timeout' : `timeout ${expect.timeout}`}, the route has ${forward!.timeoutMs === 0 ? 'none' : `${forward!.timeoutMs / 1000}s`}`]);
  }
  if (expect.retries !== undefined && needForward('retries')) {
    const actual = forward!.retries;
    const shown = actual ? `${actual.attempts} attempts on ${actual.retryOn.join(',')}${actual.perTryTimeoutMs !== undefined ? `, ${actual.perTryTimeoutMs / 1000}s per try` : ''}` : 'none';
    const r = expect.retries;
    const wrong =
      r === 'none'
        ? actual !== undefined && actual.attempts > 0
        : (r.attempts !== undefined && r.attempts !== (actual?.attempts ?? 0)) ||
          (r.perTryTimeout !== undefined && parseDuration(r.perTryTimeout) !== actual?.perTryTimeoutMs) ||
          (r.retryOn !== undefined && !sameSet(r.retryOn.split(',').map((s) => s.trim()).filter(Boolean), actual?.retryOn ?? [], true));
    if (wrong) out.push(['retries', `the route retries: ${shown}`]);
  }
  if (expect.fault !== undefined) {
    const actual = 'fault' in decision ? decision.fault : undefined;
    const problem = faultProblem(expect.fault, actual);
    if (problem) out.push(['fault', problem]);
  }
  if (expect.mirror !== undefined && needForward('mirror')) {
    const mirrors = forward!.mirrors;
    const shown = mirrors.length ? mirrors.map((m) => `${formatCluster(model, m.cluster)} ${round(m.percent)}%`).join(', ') : 'none';
    if (expect.mirror === 'none') {
      if (mirrors.length > 0) out.push(['mirror', `expected no mirror, the route mirrors to ${shown}`]);
    } else {
      const spec = expect.mirror;
      const ok = mirrors.some((m) => destinationMatches(model, spec, m.cluster) && (expect.mirrorPercentage === undefined || Math.abs(m.percent - expect.mirrorPercentage.value) < 0.01));
      if (!ok) out.push(['mirror', `expected a mirror to ${formatSpec(spec)}${expect.mirrorPercentage ? ` at ${expect.mirrorPercentage.value}%` : ''}, the route mirrors to ${shown}`]);
    }
  }
  return out;
}

function sameSet(a: readonly string[], b: readonly string[], ignoreImplied = false): boolean {
  // `503` in Istio's retryOn is Envoy's retriable-status-codes condition with code 503.
  const norm = (list: readonly string[]) => new Set(list.filter((x) => !(ignoreImplied && x === 'retriable-status-codes')));
  const [x, y] = [norm(a), norm(b)];
  return x.size === y.size && [...x].every((v) => y.has(v));
}

function headerProblems(expect: NonNullable<Expectations['headers']>, route: HeaderOperations, targets: readonly ForwardTarget[]): string[] {
  const problems: string[] = [];
  const perTarget = targets.length > 0 ? targets.map((t) => t.headers) : [undefined];
  for (const direction of ['request', 'response'] as const) {
    const ops = expect[direction];
    if (!ops) continue;
    const adds = (o: HeaderOperations | undefined) => (o ? (direction === 'request' ? o.requestAdd : o.responseAdd) : []);
    const removes = (o: HeaderOperations | undefined) => (o ? (direction === 'request' ? o.requestRemove : o.responseRemove) : []);
    const has = (key: string, value: string, append: boolean) =>
      perTarget.every((t) => [...adds(route), ...adds(t)].some((h) => h.key.toLowerCase() === key.toLowerCase() && h.value === value && h.append === append));
    for (const [key, value] of Object.entries(ops.set ?? {})) if (!has(key, value, false)) problems.push(`${direction} header ${key} is not set to '${value}'`);
    for (const [key, value] of Object.entries(ops.add ?? {})) if (!has(key, value, true)) problems.push(`${direction} header ${key} '${value}' is not added`);
    for (const key of ops.remove ?? []) {
      if (!perTarget.every((t) => [...removes(route), ...removes(t)].some((k) => k.toLowerCase() === key.toLowerCase()))) problems.push(`${direction} header ${key} is not removed`);
    }
  }
  if (problems.length > 0) {
    const shown = [...route.requestAdd.map((h) => `request ${h.append ? 'add' : 'set'} ${h.key}: ${h.value}`), ...route.responseAdd.map((h) => `response ${h.append ? 'add' : 'set'} ${h.key}: ${h.value}`)];
    problems.push(`the route has ${shown.length ? shown.join(', ') : 'no header operations'}`);
  }
  return problems;
}

function faultProblem(expect: NonNullable<Expectations['fault']>, actual: import('../compile/route-eval.ts').Fault | undefined): string | undefined {
  const shown = actual
    ? [
        actual.delay ? `delay ${actual.delay.ms / 1000}s for ${round(actual.delay.percent)}%` : '',
        actual.abort ? `abort ${actual.abort.httpStatus ?? `grpc ${GRPC_CODES[actual.abort.grpcStatus ?? 0]}`} for ${round(actual.abort.percent)}%` : '',
      ].filter(Boolean).join(', ')
    : 'none';
  if (expect === 'none') return actual ? `expected no fault, the route injects ${shown}` : undefined;
  const percent = (p: { percentage?: { value: number }; percent?: number }) => p.percentage?.value ?? p.percent;
  const wrong: string[] = [];
  if (expect.delay) {
    const want = percent(expect.delay);
    if (!actual?.delay) wrong.push('no delay');
    else if ((expect.delay.fixedDelay !== undefined && parseDuration(expect.delay.fixedDelay) !== actual.delay.ms) || (want !== undefined && Math.abs(want - actual.delay.percent) > 0.01)) wrong.push('another delay');
  }
  if (expect.abort) {
    const want = percent(expect.abort);
    if (!actual?.abort) wrong.push('no abort');
    else if (
      (expect.abort.httpStatus !== undefined && expect.abort.httpStatus !== actual.abort.httpStatus) ||
      (expect.abort.grpcStatus !== undefined && GRPC_CODES.indexOf(expect.abort.grpcStatus) !== actual.abort.grpcStatus) ||
      (want !== undefined && Math.abs(want - actual.abort.percent) > 0.01)
    ) wrong.push('another abort');
  }
  return wrong.length ? `the route injects ${shown}` : undefined;
}
