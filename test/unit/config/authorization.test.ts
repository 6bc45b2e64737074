// AuthorizationPolicy and RequestAuthentication validation: Istio's rules as errors at their
// place, what localmesh cannot do (CUSTOM, targetRef) as errors with a hint, and policies that
// can never match as warnings (mesh validate).
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { diagnostics, hints, MESH } from './fixtures.ts';

const STRICT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
`;
const policy = (body: string, namespace = 'default') => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: ${namespace}}
spec:
${body}`;

describe('AuthorizationPolicy validation', () => {
  it('a policy whose principals run and whose workloads are under mTLS: no diagnostic', () => {
    expect(diagnostics({ 'pa.yaml': STRICT, 'ap.yaml': policy(`  selector: {matchLabels: {app: reviews}}
  rules:
  - from: [{source: {principals: [cluster.local/ns/default/sa/ratings], namespaces: [default]}}]
    to: [{operation: {methods: [GET], paths: [/api/*], ports: ["9080"]}}]
    when: [{key: "request.headers[x-team]", values: [blue]}]
`) })).toEqual([]);
  });

  it('CUSTOM is refused with a sentence at spec.action; targetRef too', () => {
    expect(diagnostics({ 'ap.yaml': policy('  action: CUSTOM\n  provider: {name: ext}\n  rules: [{}]\n') })).toEqual([
      'ap.yaml:5:11 error: AuthorizationPolicy p: action CUSTOM hands the decision to an external authorizer (ext_authz), which localmesh does not run',
    ]);
    expect(diagnostics({ 'ap.yaml': policy('  targetRef: {kind: Gateway, name: gw}\n') }, 'error')).toEqual([
      'ap.yaml:5:3 error: AuthorizationPolicy p: targetRef is not supported yet by localmesh',
    ]);
  });

  it('warns about what can never match: an unknown principal, a namespace without workloads, a selector of nothing', () => {
    expect(diagnostics({ 'pa.yaml': STRICT, 'ap.yaml': policy(`  rules:
  - from: [{source: {principals: [cluster.local/ns/default/sa/nobody, "spiffe://cluster.local/ns/default/sa/ratings"], notNamespaces: [prod]}}]
`) })).toEqual([
      'ap.yaml:6:35 warning: AuthorizationPolicy p: no workload runs as cluster.local/ns/default/sa/nobody, so this never matches',
      'ap.yaml:6:71 warning: AuthorizationPolicy p: no workload runs as spiffe://cluster.local/ns/default/sa/ratings, so this never matches',
      'ap.yaml:6:136 warning: AuthorizationPolicy p: no workload is in namespace prod, so this never matches',
    ]);
    expect(hints({ 'pa.yaml': STRICT, 'ap.yaml': policy('  rules: [{from: [{source: {principals: ["spiffe://cluster.local/ns/default/sa/ratings"]}}]}]\n') }))
      .toEqual(['write it without spiffe://: cluster.local/ns/default/sa/ratings']);
    expect(hints({ 'pa.yaml': STRICT, 'ap.yaml': policy('  rules: [{from: [{source: {principals: [cluster.local/ns/default/sa/rating], namespaces: [defualt]}}]}]\n') }))
      .toEqual(['did you mean cluster.local/ns/default/sa/ratings?', 'did you mean default?']);
    expect(diagnostics({ 'ap.yaml': policy('  selector: {matchLabels: {app: cart}}\n') })).toEqual([
      'ap.yaml:5:27 warning: AuthorizationPolicy p selects no workload in namespace default, so it never applies',
    ]);
    expect(diagnostics({ 'ap.yaml': policy('  rules: [{}]\n', 'prod') })).toEqual([
      'ap.yaml:3:32 warning: AuthorizationPolicy p is in namespace prod, where no workload runs, so it never applies',
    ]);
  });

  it("carries Istio's codes under --analyze: IST0127 for a selector of nothing, IST0101 for an unknown namespace", () => {
    const files = { 'mesh.yaml': MESH, 'ap.yaml': policy('  selector: {matchLabels: {app: cart}}\n  rules: [{from: [{source: {namespaces: [prod]}}]}]\n') };
    const result = loadMeshFromSources(Object.entries(files).map(([path, text]) => ({ path, text })), '.', undefined, { analyze: true });
    expect(result.diagnostics.map((d) => d.code)).toEqual(['IST0127', 'IST0101']);
  });

  it('notes principals on workloads without mTLS, and request principals without a RequestAuthentication', () => {
    expect(diagnostics({ 'ap.yaml': policy(`  selector: {matchLabels: {app: reviews}}
  rules:
  - from: [{source: {principals: [cluster.local/ns/default/sa/ratings]}}, {source: {requestPrincipals: ["*"]}}]
`) })).toEqual([
      "ap.yaml:7:22 warning: AuthorizationPolicy p: principals and namespaces come from the caller's mTLS certificate, and reviews-v1, reviews-v2 are not under mTLS, so this never matches there",
      'ap.yaml:7:85 warning: AuthorizationPolicy p: request principals and claims come from a JWT, and no RequestAuthentication applies to the workloads it selects, so this never matches',
    ]);
  });

  it("Istio's rules: a condition key it documents with values, an address, a non-empty source and operation", () => {
    expect(diagnostics({ 'ap.yaml': policy(`  rules:
  - from: [{source: {ipBlocks: [10.0.0.0/33]}}, {source: {}}]
    to: [{operation: {}}, {operation: {paths: ["/api/{*}"]}}]
    when: [{key: request.header, values: [x]}, {key: source.ip}]
`) }, 'error')).toEqual([
      "ap.yaml:6:33 error: AuthorizationPolicy p: '10.0.0.0/33' is not an IP address or CIDR block",
      'ap.yaml:6:58 error: AuthorizationPolicy p: a source must set at least one field (Istio\'s rule)',
      "ap.yaml:7:22 error: AuthorizationPolicy p: an operation must set at least one field (Istio's rule)",
      'ap.yaml:7:48 error: AuthorizationPolicy p: path templates ({*}, {**}) are not supported yet by localmesh',
      "ap.yaml:8:18 error: AuthorizationPolicy p: 'request.header' is not a condition key localmesh knows",
      "ap.yaml:8:48 error: AuthorizationPolicy p: condition source.ip needs values or notValues (Istio's rule)",
    ]);
  });
});

describe('RequestAuthentication validation', () => {
  const JWKS = JSON.stringify({ keys: [generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })] });
  const ra = (rule: string) => `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: default}
spec:
  jwtRules:
  - issuer: localmesh
${rule}`;

  it('a request principal of an issuer no RequestAuthentication of the workload validates never matches', () => {
    const ap = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: default}
spec:
  rules: [{from: [{source: {requestPrincipals: [localmesh/alice, "https://idp.example/bob", "*"]}}]}]
`;
    expect(diagnostics({ 'ra.yaml': ra(`    jwks: '${JWKS}'\n`), 'ap.yaml': ap })).toEqual([
      'ap.yaml:5:66 warning: AuthorizationPolicy p: no RequestAuthentication of the workloads it selects validates tokens of issuer https://idp.example, so this never matches',
    ]);
  });

  it('inline jwks must be a key set; a jwksUri outside the mesh is not fetched (every token 401)', () => {
    expect(diagnostics({ 'ra.yaml': ra('    jwks: "{}"\n') })).toEqual([
      'ra.yaml:7:11 error: RequestAuthentication jwt: jwks is not a usable JSON Web Key Set: it has no "keys" list',
    ]);
    expect(diagnostics({ 'ra.yaml': ra('    jwksUri: https://idp.example/jwks\n') })).toEqual([
      'ra.yaml:7:14 warning: RequestAuthentication jwt: https://idp.example/jwks is not a mesh service; localmesh does not fetch keys from outside the mesh, so every token of this issuer is rejected (401)',
    ]);
    expect(diagnostics({ 'ra.yaml': ra('    jwksUri: http://ratings:9080/keys\n    timeout: 2s\n') })).toEqual([]);
    expect(diagnostics({ 'ra.yaml': ra('    jwksUri: http://ratings:9080/keys\n    timeout: soon\n') })).toEqual([
      "ra.yaml:8:14 error: 'soon' at spec.jwtRules[0].timeout is not a duration",
    ]);
    expect(diagnostics({ 'ra.yaml': ra(`    jwks: '${JWKS}'\n`) })).toEqual([]);
    expect(diagnostics({ 'ra.yaml': ra('    jwks: \'{"keys": [{"kty": "RSA", "n": "x"}]}\'\n') })).toEqual([
      'ra.yaml:7:11 error: RequestAuthentication jwt: jwks is not a usable JSON Web Key Set: none of its keys is a public key Envoy can use',
    ]);
    expect(diagnostics({ 'ra.yaml': ra('    jwksUri: http://ratings.default:9080/keys\n') })).toEqual([]);
  });
});

describe('AuthorizationPolicy on tcp ports', () => {
  it('warns that an ALLOW rule with HTTP-only fields matches nothing on a tcp port', () => {
    const mesh = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  services:
    db:
      ports: [{port: 5432, protocol: tcp}]
      versions: {v1: {image: db:1}}
`;
    expect(diagnostics({ 'mesh.yaml': mesh, 'ap.yaml': policy('  selector: {matchLabels: {app: db}}\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n  - to: [{operation: {ports: ["5432"]}}]\n') })).toEqual([
      'ap.yaml:7:5 warning: AuthorizationPolicy p: this rule uses HTTP-only fields, so on the tcp ports of db-v1 (5432) it matches nothing, as in Istio',
    ]);
  });
});
