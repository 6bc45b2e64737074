// AuthorizationPolicies → Envoy's RBAC HTTP filters for one workload port, as Istio's
// pilot/pkg/security/authz builds them: one filter per action, in Istio's order (AUDIT as RBAC
// LOG, then DENY, then ALLOW); a rule is one RBAC policy named `ns[NS]-policy[NAME]-rule[I]`
// whose permission is its `to` and `when` conditions and whose principal its `from` and `when`
// ones. ALLOW policies present but none matching deny (an ALLOW policy without rules denies
// everything); DENY and AUDIT policies without rules match nothing. `istio.io/dry-run` policies
// are shadow rules (stats and logs, never enforced). Values within a field match if any does;
// the fields of a source, operation or rule must all match; Istio's `*` wildcards (`*`, `pre*`,
// `*suf`) become Envoy string matchers. Ports are known per filter chain, so they are decided here.
import type { AuthorizationPolicyModel } from '../config/model.ts';
import type { Condition, Operation, Rule, Source } from '../config/schema/authorization.ts';
import { parseCidr, parseConditionKey } from '../config/authz-keys.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';
import { typed } from './envoy-json.ts';

export const RBAC_FILTER = 'envoy.filters.http.rbac';
/** Where jwt_authn leaves a valid token's payload (compile/jwt.ts) for `requestPrincipals` and claims. */
export const JWT_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_PAYLOAD_KEY = 'payload';

const SPIFFE = 'spiffe://';

/** What a rule is compiled against: the workload port of the filter chain, the issuers of the mesh's JWT rules. */
export interface RbacScope {
  port: number;
  issuers: readonly string[];
}

type Json = EnvoyJson;

const ANY_P: Json = { any: true };
const ANY_ID: Json = { any: true };
const NO_P: Json = { not_rule: { any: true } };

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Istio's wildcard string match (StringMatcherWithPrefix): `*` any non-empty, `*x` suffix, `x*` prefix, else exact. */
export function wildcard(value: string, prefix = '', ignoreCase = false): Json {
  const caseless = ignoreCase ? { ignore_case: true } : {};
  if (value === '*') return { safe_regex: { regex: '.+' } };
  if (value.startsWith('*')) return { suffix: value.slice(1), ...caseless };
  if (value.endsWith('*')) return { prefix: prefix + value.slice(0, -1), ...caseless };
  return { exact: prefix + value, ...caseless };
}

const andP = (rules: Json[]): Json => (rules.length === 0 ? ANY_P : rules.length === 1 ? rules[0]! : { and_rules: { rules } });
const orP = (rules: Json[]): Json => (rules.length === 1 ? rules[0]! : { or_rules: { rules } });
const andId = (ids: Json[]): Json => (ids.length === 0 ? ANY_ID : ids.length === 1 ? ids[0]! : { and_ids: { ids } });
const orId = (ids: Json[]): Json => (ids.length === 1 ? ids[0]! : { or_ids: { ids } });

/** `values` (any matches) and not `notValues` (none matches), as one principal; undefined when neither is given. */
function idField(values: readonly string[] | undefined, notValues: readonly string[] | undefined, one: (v: string) => Json): Json | undefined {
  const parts: Json[] = [];
  if (values?.length) parts.push(orId(values.map(one)));
  if (notValues?.length) parts.push({ not_id: orId(notValues.map(one)) });
  return parts.length === 0 ? undefined : andId(parts);
}

function permField(values: readonly string[] | undefined, notValues: readonly string[] | undefined, one: (v: string) => Json): Json | undefined {
  const parts: Json[] = [];
  if (values?.length) parts.push(orP(values.map(one)));
  if (notValues?.length) parts.push({ not_rule: orP(notValues.map(one)) });
  return parts.length === 0 ? undefined : andP(parts);
}

const authenticated = (principalName: Json): Json => ({ authenticated: { principal_name: principalName } });

function principalId(value: string): Json {
  return authenticated(wildcard(value, SPIFFE));
}

/** A namespace is read from the peer's SPIFFE id: `spiffe://TD/ns/NS/sa/SA`. */
function namespaceId(value: string): Json {
  const ns = value.split('*').map(escapeRegex).join('.*');
  return authenticated({ safe_regex: { regex: `.*/ns/${ns}/.*` } });
}

/** `NS/SA`, or `SA` in the policy's namespace. */
function serviceAccountId(value: string, namespace: string): Json {
  const [ns, sa] = value.includes('/') ? value.split('/', 2) : [namespace, value];
  return authenticated({ suffix: `/ns/${ns}/sa/${sa}` });
}

function cidr(value: string): Json {
  const parsed = parseCidr(value);
  // Validation refuses a malformed address; never matching is the safe reading if one got through.
  return parsed ? { address_prefix: parsed.address, prefix_len: parsed.prefixLen } : { address_prefix: '0.0.0.0', prefix_len: 32 };
}

function payload(path: readonly string[], value: Json): Json {
  return { metadata: { filter: JWT_FILTER, path: [JWT_PAYLOAD_KEY, ...path].map((key) => ({ key })), value } };
}

/** A claim that may be a string or a list of strings (`aud`, `groups`). */
function claim(path: readonly string[], match: Json): Json {
  return orId([payload(path, { string_match: match }), payload(path, { list_match: { one_of: { string_match: match } } })]);
}

/**
 * A request principal `ISS/SUB` against jwt_authn's payload: the issuer is the longest one of the
 * mesh's JWT rules the value starts with, else the text before the last `/`. `*` is any valid token.
 */
function requestPrincipalId(value: string, issuers: readonly string[]): Json {
  if (value === '*') return payload(['iss'], { present_match: true });
  const known = [...issuers].sort((a, b) => b.length - a.length).find((i) => value.startsWith(`${i}/`));
  const prefixed = value.endsWith('*');
  const body = prefixed ? value.slice(0, -1) : value;
  if (value.startsWith('*')) {
    const rest = value.slice(1);
    const slash = rest.lastIndexOf('/');
    if (slash < 0) return andId([payload(['iss'], { present_match: true }), payload(['sub'], { string_match: { suffix: rest } })]);
    return andId([payload(['iss'], { string_match: { suffix: rest.slice(0, slash) } }), payload(['sub'], { string_match: { exact: rest.slice(slash + 1) } })]);
  }
  const split = known !== undefined ? known.length : body.lastIndexOf('/');
  if (split < 0) return payload(['iss'], { string_match: prefixed ? { prefix: body } : { exact: body } });
  const iss = body.slice(0, split);
  const sub = body.slice(split + 1);
  return andId([
    payload(['iss'], { string_match: { exact: iss } }),
    payload(['sub'], prefixed ? (sub === '' ? { present_match: true } : { string_match: { prefix: sub } }) : { string_match: { exact: sub } }),
  ]);
}

function sourceId(source: Source, namespace: string, scope: RbacScope): Json {
  const fields = [
    idField(source.principals, source.notPrincipals, principalId),
    idField(source.requestPrincipals, source.notRequestPrincipals, (v) => requestPrincipalId(v, scope.issuers)),
    idField(source.namespaces, source.notNamespaces, namespaceId),
    idField(source.serviceAccounts, source.notServiceAccounts, (v) => serviceAccountId(v, namespace)),
    idField(source.ipBlocks, source.notIpBlocks, (v) => ({ direct_remote_ip: cidr(v) })),
    idField(source.remoteIpBlocks, source.notRemoteIpBlocks, (v) => ({ remote_ip: cidr(v) })),
  ].filter((f): f is Json => f !== undefined);
  return andId(fields);
}

/** `:authority` with or without a port, case-insensitively (Istio's host matching). */
function hostMatch(value: string): Json {
  if (value === '*') return { header: { name: ':authority', present_match: true } };
  const body = value.split('*').map(escapeRegex).join('.*');
  return { header: { name: ':authority', string_match: { safe_regex: { regex: `(?i)${body}(:[0-9]+)?` } } } };
}

const portIs = (port: number) => (value: string) => (value === String(port) ? ANY_P : NO_P);

function operationPermission(op: Operation, scope: RbacScope): Json {
  const fields = [
    permField(op.hosts, op.notHosts, hostMatch),
    permField(op.ports, op.notPorts, portIs(scope.port)),
    permField(op.methods, op.notMethods, (v) => ({ header: { name: ':method', string_match: wildcard(v) } })),
    permField(op.paths, op.notPaths, (v) => ({ url_path: { path: wildcard(v) } })),
  ].filter((f): f is Json => f !== undefined);
  return andP(fields);
}

/** A `when` condition: on the permission side (destination) or the principal side (source, request). */
function condition(c: Condition, namespace: string, scope: RbacScope): { permission?: Json; principal?: Json } {
  const key = parseConditionKey(c.key);
  if (!key) return { permission: NO_P }; // refused by validation
  switch (key.key) {
    case 'destination.port':
      return { permission: permField(c.values, c.notValues, portIs(scope.port)) };
    case 'destination.ip':
      return { permission: permField(c.values, c.notValues, (v) => ({ destination_ip: cidr(v) })) };
    case 'connection.sni':
      return { permission: permField(c.values, c.notValues, (v) => ({ requested_server_name: wildcard(v) })) };
    case 'request.headers':
      return { principal: idField(c.values, c.notValues, (v) => ({ header: { name: key.name, string_match: wildcard(v) } })) };
    case 'source.ip':
      return { principal: idField(c.values, c.notValues, (v) => ({ direct_remote_ip: cidr(v) })) };
    case 'remote.ip':
      return { principal: idField(c.values, c.notValues, (v) => ({ remote_ip: cidr(v) })) };
    case 'source.namespace':
      return { principal: idField(c.values, c.notValues, namespaceId) };
    case 'source.principal':
      return { principal: idField(c.values, c.notValues, principalId) };
    case 'request.auth.principal':
      return { principal: idField(c.values, c.notValues, (v) => requestPrincipalId(v, scope.issuers)) };
    case 'request.auth.audiences':
      return { principal: idField(c.values, c.notValues, (v) => claim(['aud'], wildcard(v))) };
    case 'request.auth.presenter':
      return { principal: idField(c.values, c.notValues, (v) => claim(['azp'], wildcard(v))) };
    case 'request.auth.claims':
      return { principal: idField(c.values, c.notValues, (v) => claim(key.path, wildcard(v))) };
  }
}

/** One rule as an RBAC policy: all of its `from`, `to` and `when` must match. */
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
    policies.flatMap((p) => (p.spec.rules ?? []).map((rule, i) => [rulePolicyName(p, i), rulePolicy(rule, p.namespace, scope)])),
  );
}

const ENVOY_ACTION = { ALLOW: 'ALLOW', DENY: 'DENY', AUDIT: 'LOG' } as const;
type Enforced = keyof typeof ENVOY_ACTION;

/**
 * The stat prefixes, so allowed/denied read apart per action and per policy:
 * `http.inbound_9080.rbac.deny.denied`, `http.inbound_9080.rbac.allow.policy.ns[default]-policy[NAME]-rule[0].allowed`.
 */
export const STAT_PREFIX: Record<Enforced, string> = { AUDIT: 'audit.', DENY: 'deny.', ALLOW: 'allow.' };

/** The RBAC filters of one workload port: none without a policy that applies (everything allowed). */
export function rbacFilters(policies: readonly AuthorizationPolicyModel[], scope: RbacScope): EnvoyJson[] {
  const filters: EnvoyJson[] = [];
  for (const action of ['AUDIT', 'DENY', 'ALLOW'] as const) {
    const mine = policies.filter((p) => (p.spec.action ?? 'ALLOW') === action);
    if (mine.length === 0) continue;
    const enforced = mine.filter((p) => !p.dryRun);
    const dryRun = mine.filter((p) => p.dryRun);
    const rules = { action: ENVOY_ACTION[action], policies: policiesOf(enforced, scope) };
    filters.push({
      name: RBAC_FILTER,
      typed_config: typed('extensions.filters.http.rbac.v3.RBAC', {
        ...(enforced.length > 0 ? { rules, rules_stat_prefix: STAT_PREFIX[action] } : {}),
        ...(dryRun.length > 0
          ? { shadow_rules: { action: ENVOY_ACTION[action], policies: policiesOf(dryRun, scope) }, shadow_rules_stat_prefix: `istio_dry_run_${action.toLowerCase()}_` }
          : {}),
        track_per_rule_stats: true,
      }),
    });
  }
  return filters;
}
