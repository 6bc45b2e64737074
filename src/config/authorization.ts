// AuthorizationPolicy and RequestAuthentication checks beyond the schema, each at its position:
// what Istio's validation rejects (an empty source or operation, a condition without values, a
// key Istio does not document, a malformed address), what localmesh cannot do (CUSTOM's external
// authorizer, targetRef), and policies that can never match: a selector or namespace without
// workloads, a principal no workload runs as, a namespace no workload is in, a principal-based
// rule on a workload whose callers have no mTLS certificate, a request principal on a workload
// that validates no JWT.
import { CONDITION_KEYS, parseCidr, parseConditionKey } from './authz-keys.ts';
import { gatewayProxies } from './gateway-proxies.ts';
import { GATEWAY_PROXY } from './names.ts';
import { GATEWAY_WORKLOAD, selects, type Workload } from './authz-scope.ts';
import type { CheckContext } from './context.ts';
import { GATEWAY_SERVICE_ACCOUNT, principal, serviceAccountOf, TRUST_DOMAIN } from './identity.ts';
import { jwksProblem, jwksSource } from './jwks.ts';
import type { MeshModel, ServiceModel, VersionModel } from './model.ts';
import { mtlsModeFor, ROOT_NAMESPACE } from './mtls.ts';
import { keyAt, valueAt, type Path } from './position.ts';
import { nearest } from './suggest.ts';
import { IST } from './analyze/codes.ts';
import type { Rule, Source } from './schema/authorization.ts';
import type { Located } from './resources.ts';
import type { AuthorizationPolicyModel, RequestAuthenticationModel } from './model.ts';

interface Target {
  name: string;
  workload: Workload;
  /** Whether callers reach every port of it over mTLS (so principals and namespaces are known). */
  mtls: boolean;
  /** Its tcp ports, where only the connection is known (no paths, methods, headers or JWT). */
  tcpPorts: number[];
}

function targets(ctx: CheckContext): Target[] {
  // mtlsModeFor reads only the PeerAuthentications of the model.
  const model = { peerAuthentications: ctx.peerAuthentications.map((l) => l.item) } as MeshModel;
  const underMtls = (s: ServiceModel, v: VersionModel) =>
    s.ports.every((p) => { const m = mtlsModeFor(model, s, v, p); return m === 'STRICT' || m === 'PERMISSIVE'; });
  return [
    ...ctx.services.flatMap((s) => s.versions.map((v) => ({
      name: v.proxy,
      workload: { namespace: s.namespace, labels: v.labels },
      mtls: underMtls(s, v),
      tcpPorts: s.ports.filter((p) => p.protocol === 'tcp').map((p) => p.port),
    }))),
    { name: 'the ingress gateway', workload: GATEWAY_WORKLOAD, mtls: false, tcpPorts: [] },
    // The other gateway proxies (a Gateway selector each), labelled by their selectors.
    ...gatewayProxies(ctx.gateways.map((g) => g.item)).filter((g) => g.proxy !== GATEWAY_PROXY)
      .map((g) => ({ name: g.proxy, workload: { namespace: g.namespace, labels: { ...g.labels } }, mtls: false, tcpPorts: [] })),
  ];
}

const hasWildcard = (v: string) => v.includes('*');

/** Up to five names, sorted, and how many more. */
function listed(names: string[]): string {
  const sorted = names.sort();
  return sorted.length > 5 ? `${sorted.slice(0, 5).join(', ')} and ${sorted.length - 5} more` : sorted.join(', ');
}

type Scoped = Located<AuthorizationPolicyModel> | Located<RequestAuthenticationModel>;

/** The workloads a policy applies to; reports a selector or a namespace that has none. */
function selected(ctx: CheckContext, all: readonly Target[], { item, source }: Scoped, kind: string): Target[] {
  if (item.spec.targetRef || item.spec.targetRefs) {
    ctx.report('error', keyAt(source, ['spec', item.spec.targetRef ? 'targetRef' : 'targetRefs']), `${kind} ${item.name}: targetRef is not supported yet by localmesh`,
      'select the workloads with spec.selector.matchLabels (e.g. app: cart), or the gateway with istio: ingressgateway in istio-system');
    return [];
  }
  const chosen = all.filter((t) => selects(item, t.workload));
  if (chosen.length > 0) return chosen;
  if (Object.keys(item.spec.selector?.matchLabels ?? {}).length > 0) {
    ctx.report('warning', valueAt(source, ['spec', 'selector', 'matchLabels']), `${kind} ${item.name} selects no workload in namespace ${item.namespace}, so it never applies`,
      item.namespace === ROOT_NAMESPACE ? 'the ingress gateway is selected by istio: ingressgateway' : 'workloads are labelled app: SERVICE and version: VERSION',
      kind === 'AuthorizationPolicy' ? IST.NoMatchingWorkloadsFound : undefined);
  } else {
    ctx.report('warning', valueAt(source, ['metadata', 'namespace']), `${kind} ${item.name} is in namespace ${item.namespace}, where no workload runs, so it never applies`,
      `a mesh-wide policy goes in ${ROOT_NAMESPACE}`);
  }
  return [];
}

function checkSource(ctx: CheckContext, located: Located<AuthorizationPolicyModel>, path: Path, src: Source, chosen: readonly Target[], issuers: ReadonlySet<string>) {
  const { item, source } = located;
  if (Object.values(src).every((v) => v === undefined || v.length === 0)) {
    ctx.report('error', valueAt(source, path), `AuthorizationPolicy ${item.name}: a source must set at least one field (Istio's rule)`, 'e.g. principals: ["cluster.local/ns/default/sa/web"]');
  }
  const principals = new Set([
    ...ctx.services.flatMap((s) => s.versions.map((v) => principal(s.namespace, serviceAccountOf(s, v)))),
    principal(ROOT_NAMESPACE, GATEWAY_SERVICE_ACCOUNT),
    ...gatewayProxies(ctx.gateways.map((g) => g.item)).map((g) => principal(g.namespace, g.serviceAccount)),
  ]);
  const namespaces = new Set([...ctx.services.map((s) => s.namespace), ROOT_NAMESPACE]);
  for (const field of ['principals', 'notPrincipals'] as const) {
    (src[field] ?? []).forEach((p, i) => {
      if (hasWildcard(p) || principals.has(p)) return;
      const hint = p.startsWith('spiffe://') ? `write it without spiffe://: ${p.slice('spiffe://'.length)}`
        : !p.startsWith(`${TRUST_DOMAIN}/`) ? `the trust domain here is ${TRUST_DOMAIN}: ${TRUST_DOMAIN}/ns/NAMESPACE/sa/SERVICEACCOUNT`
        : nearest(p, principals) ? `did you mean ${nearest(p, principals)}?` : `the workloads run as ${listed([...principals])}`;
      ctx.report('warning', valueAt(source, [...path, field, i]), `AuthorizationPolicy ${item.name}: no workload runs as ${p}, so this never matches`, hint);
    });
  }
  for (const field of ['namespaces', 'notNamespaces'] as const) {
    (src[field] ?? []).forEach((ns, i) => {
      if (!hasWildcard(ns) && !namespaces.has(ns)) {
        ctx.report('warning', valueAt(source, [...path, field, i]), `AuthorizationPolicy ${item.name}: no workload is in namespace ${ns}, so this never matches`,
          nearest(ns, namespaces) ? `did you mean ${nearest(ns, namespaces)}?` : `the workloads are in ${listed([...namespaces])}`, IST.ReferencedResourceNotFound);
      }
    });
  }
  for (const field of ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'] as const) {
    (src[field] ?? []).forEach((ip, i) => badCidr(ctx, located, [...path, field, i], ip));
  }
  const byPeer = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts'] as const;
  const field = byPeer.find((f) => src[f]?.length);
  if (field) noMtls(ctx, located, [...path, field], chosen);
  const byToken = (['requestPrincipals', 'notRequestPrincipals'] as const).find((f) => src[f]?.length);
  if (byToken && issuers.size === 0) noJwt(ctx, located, [...path, byToken]);
  else if (byToken) {
    for (const field of ['requestPrincipals', 'notRequestPrincipals'] as const) {
      (src[field] ?? []).forEach((rp, i) => {
        // ISS/SUB, split at the last `/` as Istio does; a wildcard in the issuer may match any.
        const iss = rp.includes('/') ? rp.slice(0, rp.lastIndexOf('/')) : rp;
        if (hasWildcard(iss) || issuers.has(iss)) return;
        ctx.report('warning', valueAt(source, [...path, field, i]),
          `AuthorizationPolicy ${item.name}: no RequestAuthentication of the workloads it selects validates tokens of issuer ${iss}, so this never matches`,
          `their issuers are ${listed([...issuers])}; a request principal is ISSUER/SUBJECT`);
      });
    }
  }
}

function badCidr(ctx: CheckContext, { item, source }: Located<AuthorizationPolicyModel>, path: Path, text: string) {
  if (!parseCidr(text)) {
    ctx.report('error', valueAt(source, path), `AuthorizationPolicy ${item.name}: '${text}' is not an IP address or CIDR block`, 'e.g. 10.0.0.0/8 or 192.168.1.7');
  }
}

function noMtls(ctx: CheckContext, { item, source }: Located<AuthorizationPolicyModel>, path: Path, chosen: readonly Target[]) {
  const plain = chosen.filter((t) => !t.mtls).map((t) => t.name);
  if (plain.length === 0) return;
  ctx.report('warning', keyAt(source, path),
    `AuthorizationPolicy ${item.name}: principals and namespaces come from the caller's mTLS certificate, and ${plain.join(', ')} ${plain.length > 1 ? 'are' : 'is'} not under mTLS, so this never matches there`,
    'add a PeerAuthentication with mtls.mode STRICT (or PERMISSIVE) for those workloads');
}

function noJwt(ctx: CheckContext, { item, source }: Located<AuthorizationPolicyModel>, path: Path) {
  ctx.report('warning', keyAt(source, path),
    `AuthorizationPolicy ${item.name}: request principals and claims come from a JWT, and no RequestAuthentication applies to the workloads it selects, so this never matches`,
    'add a RequestAuthentication with a jwtRule for the issuer (mesh token --print-jwks prints a local one)');
}

/** Whether a rule names what only an HTTP request has: paths, methods, hosts, headers, a JWT. */
function httpOnly(rule: Rule): boolean {
  const some = (v: readonly unknown[] | undefined) => (v?.length ?? 0) > 0;
  return (rule.from ?? []).some(({ source: s }) => some(s.requestPrincipals) || some(s.notRequestPrincipals)) ||
    (rule.to ?? []).some(({ operation: o }) => [o.hosts, o.notHosts, o.methods, o.notMethods, o.paths, o.notPaths].some(some)) ||
    (rule.when ?? []).some((c) => c.key.startsWith('request.'));
}

function checkPolicy(ctx: CheckContext, all: readonly Target[], located: Located<AuthorizationPolicyModel>) {
  const { item, source } = located;
  const action = item.spec.action ?? 'ALLOW';
  if (action === 'CUSTOM') {
    ctx.report('error', valueAt(source, ['spec', 'action']), `AuthorizationPolicy ${item.name}: action CUSTOM hands the decision to an external authorizer (ext_authz), which localmesh does not run`,
      'try the policy locally as ALLOW or DENY, or move this file to a subdirectory starting with a dot');
    return;
  }
  if (item.spec.provider) {
    ctx.report('error', keyAt(source, ['spec', 'provider']), `AuthorizationPolicy ${item.name}: provider is only for action CUSTOM (Istio's rule)`);
  }
  const chosen = selected(ctx, all, located, 'AuthorizationPolicy');
  const rules = item.spec.rules ?? [];
  if (rules.length === 0 && action !== 'ALLOW') {
    ctx.report('warning', valueAt(source, ['spec']), `AuthorizationPolicy ${item.name}: a ${action} policy without rules matches nothing`, 'add rules, or use an ALLOW policy without rules to deny everything');
  }
  const issuers = new Set(ctx.requestAuthentications
    .filter((ra) => chosen.some((t) => selects(ra.item, t.workload)))
    .flatMap((ra) => (ra.item.spec.jwtRules ?? []).map((r) => r.issuer)));
  const jwt = issuers.size > 0;
  const tcp = chosen.filter((t) => t.tcpPorts.length > 0);
  rules.forEach((rule, r) => {
    if (action === 'ALLOW' && tcp.length > 0 && httpOnly(rule)) {
      ctx.report('warning', valueAt(source, ['spec', 'rules', r]),
        `AuthorizationPolicy ${item.name}: this rule uses HTTP-only fields, so on the tcp ports of ${tcp.map((t) => `${t.name} (${t.tcpPorts.join(', ')})`).join(', ')} it matches nothing, as in Istio`,
        'on a tcp port only sources, ports and connection keys (source.ip, destination.port, connection.sni, …) apply');
    }
    (rule.from ?? []).forEach((f, i) => checkSource(ctx, located, ['spec', 'rules', r, 'from', i, 'source'], f.source, chosen, issuers));
    (rule.to ?? []).forEach((t, i) => {
      const path = ['spec', 'rules', r, 'to', i, 'operation'];
      if (Object.values(t.operation).every((v) => v === undefined || v.length === 0)) {
        ctx.report('error', valueAt(source, path), `AuthorizationPolicy ${item.name}: an operation must set at least one field (Istio's rule)`, 'e.g. methods: ["GET"] or paths: ["/api/*"]');
      }
      for (const field of ['paths', 'notPaths'] as const) {
        (t.operation[field] ?? []).forEach((p, j) => {
          if (/[{}]/.test(p)) ctx.report('error', valueAt(source, [...path, field, j]), `AuthorizationPolicy ${item.name}: path templates ({*}, {**}) are not supported yet by localmesh`, "use Istio's wildcards: /api/* (prefix), */info (suffix)");
        });
      }
      for (const field of ['ports', 'notPorts'] as const) {
        (t.operation[field] ?? []).forEach((p, j) => {
          if (!/^[0-9]+$/.test(p) || Number(p) < 1 || Number(p) > 65535) ctx.report('error', valueAt(source, [...path, field, j]), `AuthorizationPolicy ${item.name}: '${p}' is not a port number`);
        });
      }
    });
    (rule.when ?? []).forEach((c, i) => {
      const path = ['spec', 'rules', r, 'when', i];
      const key = parseConditionKey(c.key);
      if (!key) {
        ctx.report('error', valueAt(source, [...path, 'key']), `AuthorizationPolicy ${item.name}: '${c.key}' is not a condition key localmesh knows`, `the keys are ${CONDITION_KEYS.join(', ')}`);
        return;
      }
      if (!c.values?.length && !c.notValues?.length) {
        ctx.report('error', valueAt(source, path), `AuthorizationPolicy ${item.name}: condition ${c.key} needs values or notValues (Istio's rule)`);
      }
      if (key.key === 'source.ip' || key.key === 'remote.ip' || key.key === 'destination.ip') {
        for (const field of ['values', 'notValues'] as const) (c[field] ?? []).forEach((v, j) => badCidr(ctx, located, [...path, field, j], v));
      }
      if (key.key === 'source.principal' || key.key === 'source.namespace') noMtls(ctx, located, [...path, 'key'], chosen);
      if (key.key.startsWith('request.auth.') && !jwt) noJwt(ctx, located, [...path, 'key']);
    });
  });
}

function checkAuthentication(ctx: CheckContext, all: readonly Target[], located: Located<RequestAuthenticationModel>) {
  const { item, source } = located;
  selected(ctx, all, located, 'RequestAuthentication');
  (item.spec.jwtRules ?? []).forEach((rule, i) => {
    const path = ['spec', 'jwtRules', i];
    if (rule.jwks !== undefined && rule.jwksUri !== undefined) {
      ctx.report('error', keyAt(source, [...path, 'jwksUri']), `RequestAuthentication ${item.name}: a JWT rule takes jwks or jwksUri, not both`);
      return;
    }
    const keys = jwksSource(rule, item.namespace, ctx.services);
    if (keys.kind === 'inline') {
      const problem = jwksProblem(keys.jwks);
      if (problem) {
        ctx.report('error', valueAt(source, [...path, 'jwks']), `RequestAuthentication ${item.name}: jwks is not a usable JSON Web Key Set: ${problem}`,
          'Envoy refuses the listener otherwise; mesh token --print-jwks prints one for a local issuer');
      }
    } else if (keys.kind === 'unreachable' || keys.kind === 'none') {
      ctx.report('warning', valueAt(source, keys.kind === 'none' ? [...path, 'issuer'] : [...path, 'jwksUri']),
        keys.kind === 'none'
          ? `RequestAuthentication ${item.name}: no jwks or jwksUri for issuer ${rule.issuer}; localmesh does not discover keys over the network, so every token of this issuer is rejected (401)`
          : `RequestAuthentication ${item.name}: ${keys.uri} is not a mesh service; localmesh does not fetch keys from outside the mesh, so every token of this issuer is rejected (401)`,
        'give the keys inline as jwks (mesh token --print-jwks prints a local issuer\'s), or serve them from a mesh service: http://SERVICE:PORT/PATH');
    }
  });
}

export function checkAuthorization(ctx: CheckContext): void {
  if (ctx.authorizationPolicies.length === 0 && ctx.requestAuthentications.length === 0) return;
  const all = targets(ctx);
  for (const located of ctx.authorizationPolicies) checkPolicy(ctx, all, located);
  for (const located of ctx.requestAuthentications) checkAuthentication(ctx, all, located);
}
