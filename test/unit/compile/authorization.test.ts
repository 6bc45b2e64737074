// AuthorizationPolicy and RequestAuthentication → the HTTP filters of the selected workloads'
// inbound chains (and the gateway's), as Istio's authz builder writes them; without either kind
// the output is byte-identical.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ALL_FEATURES, compile, proxy } from './compile-helpers.ts';
import { requestAuthenticationsFor } from '../../../src/config/authz-scope.ts';
import { rulePolicy, wildcard } from '../../../src/compile/rbac.ts';

const policy = (spec: string, { name = 'p', namespace = 'default', annotations = '' } = {}) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${name}, namespace: ${namespace}${annotations ? `, annotations: ${annotations}` : ''}}
spec:${spec ? `\n${spec}` : ' {}\n'}`;

const JWKS = JSON.stringify({ keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'k' }] });
const jwt = (extra = '', selector = '{matchLabels: {app: reviews}}') => `apiVersion: security.istio.io/v1beta1
kind: RequestAuthentication
metadata: {name: jwt, namespace: default}
spec:
  selector: ${selector}
  jwtRules:
  - issuer: localmesh
    jwks: '${JWKS}'
${extra}`;

const resources = (docs: string[]) => JSON.stringify(compile(docs, 'loopback').snapshots.map((s) => [s.listeners, s.routes, s.clusters, s.endpoints]));
const filters = (docs: string[], id = 'reviews-v1'): any[] => {
  const snapshot = proxy(compile(docs), id);
  const hcm = (l: any) => l.filter_chains[0].filters[0].typed_config.http_filters as any[] | undefined;
  const listener = snapshot.listeners.find((l) => l.name.startsWith(id === 'mesh-gateway' ? 'gateway_' : 'inbound_') && hcm(l.value))!.value as any;
  return hcm(listener)!;
};
const names = (docs: string[], id?: string) => filters(docs, id).map((f) => f.name);
const rbac = (docs: string[], id?: string) => filters(docs, id).filter((f) => f.name === 'envoy.filters.http.rbac').map((f) => f.typed_config);

describe('AuthorizationPolicy compiled', () => {
  it('absent: byte-identical output, no RBAC or jwt_authn anywhere', () => {
    const plain = resources(ALL_FEATURES);
    expect(plain).not.toContain('rbac');
    expect(plain).not.toContain('jwt_authn');
  });

  it('a selector picks workloads: app=reviews gets an ALLOW RBAC filter before the router, others nothing', () => {
    const docs = [policy('  selector: {matchLabels: {app: reviews}}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/default/sa/productpage]}}]\n')];
    // The inbound chain has no CORS or fault filter: its route never carries their config.
    expect(names(docs)).toEqual(['envoy.filters.http.rbac', 'envoy.filters.http.router']);
    expect(names(docs, 'ratings-v1')).not.toContain('envoy.filters.http.rbac');
    expect(rbac(docs)).toEqual([{
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
      rules: { action: 'ALLOW', policies: { 'ns[default]-policy[p]-rule[0]': {
        permissions: [{ any: true }],
        principals: [{ authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/default/sa/productpage' } } }],
      } } },
      rules_stat_prefix: 'allow.',
      track_per_rule_stats: true,
    }]);
  });

  it('namespace-wide and mesh-wide (istio-system) policies apply to every workload there, the gateway included for mesh-wide', () => {
    const ns = [...ALL_FEATURES, policy('', { name: 'ns' })];
    expect(names(ns, 'ratings-v1')).toContain('envoy.filters.http.rbac');
    expect(names(ns, 'mesh-gateway')).not.toContain('envoy.filters.http.rbac');
    const mesh = [...ALL_FEATURES, policy('  action: DENY\n  rules: [{to: [{operation: {paths: [/admin*]}}]}]\n', { namespace: 'istio-system' })];
    expect(names(mesh, 'ratings-v1')).toContain('envoy.filters.http.rbac');
    expect(names(mesh, 'mesh-gateway')).toContain('envoy.filters.http.rbac');
    const gateway = [...ALL_FEATURES, policy('  selector: {matchLabels: {istio: ingressgateway}}\n  action: DENY\n  rules: [{from: [{source: {notIpBlocks: [10.0.0.0/8]}}]}]\n', { namespace: 'istio-system' })];
    expect(names(gateway, 'mesh-gateway')).toContain('envoy.filters.http.rbac');
    expect(names(gateway, 'ratings-v1')).not.toContain('envoy.filters.http.rbac');
  });

  it("Istio's order: AUDIT (LOG), DENY, ALLOW, one filter each; an ALLOW policy without rules denies all; dry-run is shadow", () => {
    const docs = [
      policy('  action: ALLOW\n', { name: 'allow-nothing' }),
      policy('  action: DENY\n  rules: [{to: [{operation: {methods: [DELETE]}}]}]\n', { name: 'deny' }),
      policy('  action: AUDIT\n  rules: [{}]\n', { name: 'audit' }),
      policy('  action: DENY\n  rules: [{}]\n', { name: 'try', annotations: '{istio.io/dry-run: "true"}' }),
    ];
    const [audit, deny, allow] = rbac(docs);
    expect(audit.rules.action).toBe('LOG');
    expect(deny.rules).toEqual({ action: 'DENY', policies: { 'ns[default]-policy[deny]-rule[0]': {
      permissions: [{ header: { name: ':method', string_match: { exact: 'DELETE' } } }], principals: [{ any: true }],
    } } });
    expect(deny.shadow_rules.policies).toHaveProperty(['ns[default]-policy[try]-rule[0]']);
    expect(deny.shadow_rules_stat_prefix).toBe('istio_dry_run_deny_');
    expect(allow.rules).toEqual({ action: 'ALLOW', policies: {} });
  });

  it("Istio's wildcards, not* fields, hosts with ports, and ports decided per chain", () => {
    expect([wildcard('*'), wildcard('/api/*'), wildcard('*.css'), wildcard('/x')]).toEqual([
      { safe_regex: { regex: '.+' } }, { prefix: '/api/' }, { suffix: '.css' }, { exact: '/x' },
    ]);
    const rule = { to: [{ operation: { hosts: ['*.shop.local'], notPaths: ['/healthz'], ports: ['9080'] } }] };
    expect(rulePolicy(rule, 'default', { port: 9080 }).permissions).toEqual([{ and_rules: { rules: [
      { header: { name: ':authority', string_match: { suffix: '.shop.local', ignore_case: true } } },
      { any: true },
      { not_rule: { url_path: { path: { exact: '/healthz' } } } },
    ] } }]);
    expect((rulePolicy(rule, 'default', { port: 9090 }).permissions as any)[0].and_rules.rules[1]).toEqual({ not_rule: { any: true } });
  });

  it('sources: namespaces by the SPIFFE id, ipBlocks, request principals against jwt_authn payload, when conditions', () => {
    const { principals, permissions } = rulePolicy({
      from: [{ source: { namespaces: ['prod'], ipBlocks: ['10.1.0.0/16'] } }, { source: { requestPrincipals: ['https://idp.example/a/alice'] } }],
      when: [{ key: 'request.auth.claims[groups]', values: ['admin'] }, { key: 'destination.port', values: ['9080'] }],
    }, 'default', { port: 9080 });
    expect(permissions).toEqual([{ any: true }]);
    const payload = (key: string, value: object) => ({ metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'payload' }, { key }], value } });
    expect(principals).toEqual([{ and_ids: { ids: [
      { or_ids: { ids: [
        { and_ids: { ids: [
          { authenticated: { principal_name: { safe_regex: { regex: '.*/ns/prod/.*' } } } },
          { direct_remote_ip: { address_prefix: '10.1.0.0', prefix_len: 16 } },
        ] } },
        { and_ids: { ids: [payload('iss', { string_match: { exact: 'https://idp.example/a' } }), payload('sub', { string_match: { exact: 'alice' } })] } },
      ] } },
      payload('groups', { or_match: { value_matchers: [{ string_match: { exact: 'admin' } }, { list_match: { one_of: { string_match: { exact: 'admin' } } } }] } }),
    ] } }]);
  });
});

describe('RequestAuthentication compiled', () => {
  it('jwt_authn before RBAC: a provider per rule, payload in metadata, a missing token allowed, an invalid one refused', () => {
    const docs = [jwt('    fromHeaders: [{name: x-jwt, prefix: "Bearer "}]\n    forwardOriginalToken: true\n    outputPayloadToHeader: x-payload\n    outputClaimToHeaders: [{header: x-sub, claim: sub}]\n    audiences: [shop]\n'),
      policy('  selector: {matchLabels: {app: reviews}}\n  rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]\n')];
    expect(names(docs)).toEqual(['envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac', 'envoy.filters.http.router']);
    const config = filters(docs).find((f) => f.name === 'envoy.filters.http.jwt_authn').typed_config;
    expect(config.providers).toEqual({ 'origins-0': {
      issuer: 'localmesh', audiences: ['shop'], local_jwks: { inline_string: JWKS },
      from_headers: [{ name: 'x-jwt', value_prefix: 'Bearer ' }], forward: true, forward_payload_header: 'x-payload',
      claim_to_headers: [{ header_name: 'x-sub', claim_name: 'sub' }], payload_in_metadata: 'payload',
    } });
    expect(config.rules).toEqual([{ match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'origins-0' }, { allow_missing: {} }] } } }]);
    expect(rbac(docs)[0].rules.policies['ns[default]-policy[p]-rule[0]'].principals).toEqual([
      { and_ids: { ids: ['iss', 'sub'].map((key) => ({ metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'payload' }, { key }], value: { string_match: { safe_regex: { regex: '.+' } } } } })) } },
    ]);
  });

  it('jwksUri on a mesh service: remote_jwks through its outbound cluster; elsewhere: keys nobody can sign for', () => {
    const remote = [jwt().replace(`jwks: '${JWKS}'`, 'jwksUri: http://ratings:9080/jwks.json\n    timeout: 1m')];
    const provider = filters(remote).find((f) => f.name === 'envoy.filters.http.jwt_authn').typed_config.providers['origins-0'];
    expect(provider.remote_jwks.http_uri).toEqual({ uri: 'http://ratings:9080/jwks.json', cluster: 'outbound|9080||ratings.default.svc.cluster.local', timeout: '60s' });
    const external = [jwt().replace(`jwks: '${JWKS}'`, 'jwksUri: https://idp.example/jwks')];
    const unreachable = filters(external).find((f) => f.name === 'envoy.filters.http.jwt_authn').typed_config.providers['origins-0'];
    expect(JSON.parse(unreachable.local_jwks.inline_string).keys[0].kid).toBe('unreachable');
  });

  it('selects like an AuthorizationPolicy', () => {
    const m = { requestAuthentications: [{ name: 'a', namespace: 'default', spec: { selector: { matchLabels: { app: 'x' } } }, source: { file: '', line: 0, col: 0 } }] } as any;
    expect(requestAuthenticationsFor(m, { namespace: 'default', labels: { app: 'x' } })).toHaveLength(1);
    expect(requestAuthenticationsFor(m, { namespace: 'other', labels: { app: 'x' } })).toHaveLength(0);
    const meshWide = { requestAuthentications: [{ name: 'a', namespace: 'istio-system', spec: { selector: { matchLabels: {} } }, source: { file: '', line: 0, col: 0 } }] } as any;
    expect(requestAuthenticationsFor(meshWide, { namespace: 'other', labels: { app: 'x' } })).toHaveLength(1);
  });
});

describe('AuthorizationPolicy on a tcp port', () => {
  it('network RBAC before tcp_proxy; an ALLOW rule with HTTP-only fields is left out, a DENY rule loses those fields', () => {
    const docs = [
      policy('  selector: {matchLabels: {app: db}}\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n  - from: [{source: {ipBlocks: [127.0.0.1]}}]\n', { name: 'allow' }),
      policy('  selector: {matchLabels: {app: db}}\n  action: DENY\n  rules:\n  - from: [{source: {notIpBlocks: [10.0.0.0/8]}}]\n    to: [{operation: {paths: [/admin]}}]\n', { name: 'deny' }),
    ];
    const listener = proxy(compile(docs), 'db-v1').listeners.find((l) => l.name.startsWith('inbound_'))!.value as any;
    const filters = listener.filter_chains[0].filters;
    expect(filters.map((f: any) => f.name)).toEqual(['envoy.filters.network.rbac', 'envoy.filters.network.rbac', 'envoy.filters.network.tcp_proxy']);
    const [deny, allow] = filters.map((f: any) => f.typed_config);
    expect(allow.stat_prefix).toBe('inbound_5432.allow.');
    expect(Object.keys(allow.rules.policies)).toEqual(['ns[default]-policy[allow]-rule[1]']);
    expect(deny.rules.policies['ns[default]-policy[deny]-rule[0]']).toEqual({
      permissions: [{ any: true }],
      principals: [{ not_id: { direct_remote_ip: { address_prefix: '10.0.0.0', prefix_len: 8 } } }],
    });
  });
});
