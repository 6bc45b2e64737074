// AuthorizationPolicies → Envoy's RBAC filters for one workload port, as Istio's
// pilot/pkg/security/authz builds them: one filter per action, in Istio's order (AUDIT as RBAC
// LOG, then DENY, then ALLOW); a rule is one RBAC policy named `ns[NS]-policy[NAME]-rule[I]`
// whose permission is its `to` and `when` conditions and whose principal its `from` and `when`
// ones. ALLOW policies present but none matching deny (an ALLOW policy without rules denies
// everything); DENY and AUDIT policies without rules match nothing. `istio.io/dry-run` policies
// are shadow rules (stats and logs, never enforced). Values within a field match if any does;
// the fields of a source, operation or rule must all match; Istio's `*` wildcards (`*`, `pre*`,
// `*suf`) become Envoy string matchers. Ports are known per filter chain, so they are decided here.
// On a tcp port (the network RBAC filter) a field only HTTP has (paths, methods, hosts, headers,
// JWT) makes an ALLOW rule match nothing and is left out of a DENY or AUDIT rule, as Istio does.
import type { AuthorizationPolicyModel } from '../config/model.ts';
import type { Condition, Operation, Rule, Source } from '../config/schema/authorization.ts';
import { parseCidr, parseConditionKey } from '../config/authz-keys.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';
import { typed } from './envoy-json.ts';

export const RBAC_FILTER = 'envoy.filters.http.rbac';
export const NETWORK_RBAC_FILTER = 'envoy.filters.network.rbac';
/** Where jwt_authn leaves a valid token's payload (compile/jwt.ts) for `requestPrincipals` and claims. */
export const JWT_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_PAYLOAD_KEY = 'payload';

const SPIFFE = 'spiffe://';

type Action = 'ALLOW' | 'DENY' | 'AUDIT';

/** What a rule is compiled against: the workload port of the filter chain, whether it is tcp, the policy's action. */
export interface RbacScope {
  port: number;
  tcp?: boolean;
  action?: Action;
}

type Json = EnvoyJson;

const ANY_P: Json = { any: true };
const ANY_ID: Json = { any: true };
const NO_P: Json = { not_rule: { any: true } };

/** An HTTP-only field in an ALLOW rule on a tcp port: the rule is left out (Istio's checkError). */
class HttpOnly extends Error {}

const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Istio's wildcard string match (StringMatcherWithPrefix): `*` any non-empty, `*x` suffix, `x*` prefix, else exact. */
export function wildcard(value: string, prefix = '', ignoreCase = false): Json {
  const caseless = ignoreCase ? { ignore_case: true } : {};
  if (value === '*') return { safe_regex: { regex: '.+' } };
  if (value.startsWith('*')) return prefix === '' ? { suffix: value.slice(1), ...caseless } : { safe_regex: { regex: `${prefix}.*${quote(value.slice(1))}` } };
  if (value.endsWith('*')) return { prefix: prefix + value.slice(0, -1), ...caseless };
  return { exact: prefix + value, ...caseless };
}

/** Istio's HeaderMatcher / HostMatcher: `*` is presence; hosts compare without case. */
function header(name: string, value: string, ignoreCase = false): Json {
  if (value === '*') return { header: { name, present_match: true } };
  return { header: { name, string_match: wildcard(value, '', ignoreCase) } };
}

const andP = (rules: Json[]): Json => (rules.length === 0 ? ANY_P : rules.length === 1 ? rules[0]! : { and_rules: { rules } });
const orP = (rules: Json[]): Json => (rules.length === 1 ? rules[0]! : { or_rules: { rules } });
const andId = (ids: Json[]): Json => (ids.length === 0 ? ANY_ID : ids.length === 1 ? ids[0]! : { and_ids: { ids } });
const orId = (ids: Json[]): Json => (ids.length === 1 ? ids[0]! : { or_ids: { ids } });

/** `values` (any matches) and not `notValues` (none matches); undefined when neither is given. */
function field(
  values: readonly string[] | undefined,
  notValues: readonly string[] | undefined,
  one: (v: string) => Json,
  [or, and, not]: [(x: Json[]) => Json, (x: Json[]) => Json, (x: Json) => Json],
): Json | undefined {
  const parts: Json[] = [];
  if (values?.length) parts.push(or(values.map(one)));
  if (notValues?.length) parts.push(not(or(notValues.map(one))));
  return parts.length === 0 ? undefined : and(parts);
}
const ID: [typeof orId, typeof andId, (x: Json) => Json] = [orId, andId, (x) => ({ not_id: x })];
const PERM: [typeof orP, typeof andP, (x: Json) => Json] = [orP, andP, (x) => ({ not_rule: x })];
const idField = (values: readonly string[] | undefined, notValues: readonly string[] | undefined, one: (v: string) => Json) => field(values, notValues, one, ID);
const permField = (values: readonly string[] | undefined, notValues: readonly string[] | undefined, one: (v: string) => Json) => field(values, notValues, one, PERM);

/** A field only HTTP has: on a tcp port, the end of an ALLOW rule, or nothing in a DENY or AUDIT one. */
function httpOnly(scope: RbacScope, build: () => Json | undefined): Json | undefined {
  if (!scope.tcp) return build();
  if (build() === undefined) return undefined;
  if ((scope.action ?? 'ALLOW') === 'ALLOW') throw new HttpOnly();
  return undefined;
}

const authenticated = (principalName: Json): Json => ({ authenticated: { principal_name: principalName } });

const principalId = (value: string) => authenticated(wildcard(value, SPIFFE));

/** A namespace is read from the peer's SPIFFE id: `spiffe://TD/ns/NS/sa/SA`. */
const namespaceId = (value: string) => authenticated({ safe_regex: { regex: `.*/ns/${value.split('*').map(quote).join('.*')}/.*` } });

/** `NS/SA`, or `SA` in the policy's namespace (Istio's serviceAccountRegex). */
function serviceAccountId(value: string, namespace: string): Json {
  const [ns, sa] = value.includes('/') ? [value.slice(0, value.indexOf('/')), value.slice(value.indexOf('/') + 1)] : [namespace, value];
  return authenticated({ safe_regex: { regex: `spiffe://.+/ns/${quote(ns)}/(.+/|)sa/${quote(sa)}(/.+)?` } });
}

function trustDomainId(value: string): Json {
  if (value === '*') return authenticated({ prefix: SPIFFE });
  if (!value.includes('*')) return authenticated({ prefix: `${SPIFFE}${value}/` });
  const [before, after = ''] = value.split(/\*(.*)/s);
  return authenticated({ safe_regex: { regex: `spiffe://${quote(before!)}[^/]*${quote(after)}/.*` } });
}

function cidr(value: string): Json {
  const parsed = parseCidr(value);
  // Validation refuses a malformed address; never matching is the safe reading if one got through.
  return parsed ? { address_prefix: parsed.address, prefix_len: parsed.prefixLen } : { address_prefix: '0.0.0.0', prefix_len: 32 };
}

function payload(path: readonly string[], value: Json): Json {
  return { metadata: { filter: JWT_FILTER, path: [JWT_PAYLOAD_KEY, ...path].map((key) => ({ key })), value } };
}

/** A claim that may be a string or a list of strings (`aud`, `groups`): Istio's extended JWT matcher. */
function claim(path: readonly string[], value: string): Json {
  const match = wildcard(value);
  return payload(path, { or_match: { value_matchers: [{ string_match: match }, { list_match: { one_of: { string_match: match } } }] } });
}

const ANY_STRING = { safe_regex: { regex: '.+' } };

/** A request principal `ISS/SUB`, split at the last `/` as Istio does (an issuer may be a URL). */
function requestPrincipalId(value: string): Json {
  const slash = value.lastIndexOf('/');
  const found = slash >= 0;
  const iss = found ? value.slice(0, slash) : value;
  const sub = found ? value.slice(slash + 1) : '';
  let matchIss: Json;
  let matchSub: Json;
  if (value === '*') [matchIss, matchSub] = [ANY_STRING, ANY_STRING];
  else if (value.startsWith('*')) {
    if (found) [matchIss, matchSub] = [iss === '*' ? ANY_STRING : { suffix: iss.slice(1) }, { exact: sub }];
    else [matchIss, matchSub] = [ANY_STRING, { suffix: value.slice(1) }];
  } else if (value.endsWith('*')) {
    if (found) [matchIss, matchSub] = [{ exact: iss }, sub === '*' ? ANY_STRING : { prefix: sub.slice(0, -1) }];
    else [matchIss, matchSub] = [{ prefix: value.slice(0, -1) }, ANY_STRING];
  } else [matchIss, matchSub] = [{ exact: iss }, { exact: sub }];
  return andId([payload(['iss'], { string_match: matchIss }), payload(['sub'], { string_match: matchSub })]);
}

function sourceId(source: Source, namespace: string, scope: RbacScope): Json {
  const fields = [
    idField(source.principals, source.notPrincipals, principalId),
    httpOnly(scope, () => idField(source.requestPrincipals, source.notRequestPrincipals, requestPrincipalId)),
    idField(source.namespaces, source.notNamespaces, namespaceId),
    idField(source.serviceAccounts, source.notServiceAccounts, (v) => serviceAccountId(v, namespace)),
    idField(source.trustDomains, source.notTrustDomains, trustDomainId),
    idField(source.ipBlocks, source.notIpBlocks, (v) => ({ direct_remote_ip: cidr(v) })),
    idField(source.remoteIpBlocks, source.notRemoteIpBlocks, (v) => ({ remote_ip: cidr(v) })),
  ].filter((f): f is Json => f !== undefined);
  return andId(fields);
}

const portIs = (port: number) => (value: string) => (value === String(port) ? ANY_P : NO_P);

function operationPermission(op: Operation, scope: RbacScope): Json {
  const fields = [
    httpOnly(scope, () => permField(op.hosts, op.notHosts, (v) => header(':authority', v, true))),
    permField(op.ports, op.notPorts, portIs(scope.port)),
    httpOnly(scope, () => permField(op.methods, op.notMethods, (v) => header(':method', v))),
    httpOnly(scope, () => permField(op.paths, op.notPaths, (v) => ({ url_path: { path: wildcard(v) } }))),
  ].filter((f): f is Json => f !== undefined);
  return andP(fields);
}

/** A `when` condition: on the permission side (destination) or the principal side (source, request). */
function condition(c: Condition, namespace: string, scope: RbacScope): { permission?: Json; principal?: Json } {
  const key = parseConditionKey(c.key);
  if (!key) return { permission: NO_P }; // refused by validation
  const id = (one: (v: string) => Json) => ({ principal: idField(c.values, c.notValues, one) });
  const http = (one: (v: string) => Json) => ({ principal: httpOnly(scope, () => idField(c.values, c.notValues, one)) });
  switch (key.key) {
    case 'destination.port':
      return { permission: permField(c.values, c.notValues, portIs(scope.port)) };
    case 'destination.ip':
      return { permission: permField(c.values, c.notValues, (v) => ({ destination_ip: cidr(v) })) };
    case 'connection.sni':
      return { permission: permField(c.values, c.notValues, (v) => ({ requested_server_name: wildcard(v) })) };
    case 'source.ip':
      return id((v) => ({ direct_remote_ip: cidr(v) }));
    case 'remote.ip':
      return id((v) => ({ remote_ip: cidr(v) }));
    case 'source.namespace':
      return id(namespaceId);
    case 'source.principal':
      return id(principalId);
    case 'request.headers':
      return http((v) => header(key.name, v));
    case 'request.auth.principal':
      return http(requestPrincipalId);
    case 'request.auth.audiences':
      return http((v) => claim(['aud'], v));
    case 'request.auth.presenter':
      return http((v) => claim(['azp'], v));
    case 'request.auth.claims':
      return http((v) => claim(key.path, v));
  }
}

/** One rule as an RBAC policy: all of its `from`, `to` and `when` must match. Throws HttpOnly (see httpOnly). */
export function rulePolicy(rule: Rule, namespace: string, scope: RbacScope): Json {
  const conditions = (rule.when ?? []).map((c) => condition(c, namespace, scope));
  const permissions = [
    ...(rule.to?.length ? [orP(rule.to.map((t) => operationPermission(t.operation, scope)))] : []),
    ...conditions.flatMap((c) => (c.permission ? [c.permission] : [])),
  ];
  const principals = [
    ...(rule.from?.length ? [orId(rule.from.map((f) => sourceId(f.source, namespace, scope)))] : []),
    ...conditions.flatMap((c) => (c.principal ? [c.principal] : [])),
  ];
  return { permissions: [andP(permissions)], principals: [andId(principals)] };
}

/** Istio's name of a rule's RBAC policy, which Envoy's per-rule stats and logs carry. */
export function rulePolicyName(policy: Pick<AuthorizationPolicyModel, 'namespace' | 'name'>, index: number): string {
  return `ns[${policy.namespace}]-policy[${policy.name}]-rule[${index}]`;
}

function policiesOf(policies: readonly AuthorizationPolicyModel[], scope: RbacScope): Json {
  return Object.fromEntries(
    policies.flatMap((p) =>
      (p.spec.rules ?? []).flatMap((rule, i) => {
        try {
          return [[rulePolicyName(p, i), rulePolicy(rule, p.namespace, scope)]];
        } catch (error) {
          if (error instanceof HttpOnly) return []; // an ALLOW rule with HTTP-only fields on a tcp port
          throw error;
        }
      }),
    ),
  );
}

const ENVOY_ACTION = { ALLOW: 'ALLOW', DENY: 'DENY', AUDIT: 'LOG' } as const;

/**
 * The stat prefixes, so allowed/denied read apart per action and per policy:
 * `http.inbound_9080.rbac.deny.denied`, `http.inbound_9080.rbac.allow.policy.ns[default]-policy[NAME]-rule[0].allowed`;
 * on a tcp port `PREFIX.rbac.allowed` with the chain's name (`inbound|5432||.allow.rbac.denied`).
 */
export const STAT_PREFIX: Record<Action, string> = { AUDIT: 'audit.', DENY: 'deny.', ALLOW: 'allow.' };

/** The RBAC filters of one workload port: none without a policy that applies (everything allowed). */
export function rbacFilters(policies: readonly AuthorizationPolicyModel[], scope: RbacScope & { statPrefix?: string }): EnvoyJson[] {
  const filters: EnvoyJson[] = [];
  for (const action of ['AUDIT', 'DENY', 'ALLOW'] as const) {
    const mine = policies.filter((p) => (p.spec.action ?? 'ALLOW') === action);
    if (mine.length === 0) continue;
    const enforced = mine.filter((p) => !p.dryRun);
    const dryRun = mine.filter((p) => p.dryRun);
    const ruleScope = { ...scope, action };
    const rules = enforced.length > 0 ? { rules: { action: ENVOY_ACTION[action], policies: policiesOf(enforced, ruleScope) } } : {};
    const shadow = dryRun.length > 0
      ? { shadow_rules: { action: ENVOY_ACTION[action], policies: policiesOf(dryRun, ruleScope) }, shadow_rules_stat_prefix: `istio_dry_run_${action.toLowerCase()}_` }
      : {};
    filters.push(
      scope.tcp
        ? { name: NETWORK_RBAC_FILTER, typed_config: typed('extensions.filters.network.rbac.v3.RBAC', { ...rules, ...shadow, stat_prefix: `${scope.statPrefix ?? 'tcp'}.${STAT_PREFIX[action]}` }) }
        : {
            name: RBAC_FILTER,
            typed_config: typed('extensions.filters.http.rbac.v3.RBAC', {
              ...rules,
              ...(enforced.length > 0 ? { rules_stat_prefix: STAT_PREFIX[action] } : {}),
              ...shadow,
              track_per_rule_stats: true,
            }),
          },
    );
  }
  return filters;
}
