// `mesh validate` never accepts an AuthorizationPolicy or RequestAuthentication Envoy refuses.
// Random policies within the schema (every source, operation and condition field, wildcards,
// addresses, header and claim names, JWT rules with their key sets and header options), values
// drawn around what Envoy accepts, go through mesh validate's logic; every mesh it accepts is
// compiled as `mesh generate` does and given to the real `envoy --mode validate` (the HTTP
// sidecar, the tcp one, the gateway). Fixed seed; FC_SEED and FC_RUNS choose others.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { composeAddressing, CAPTURE_PORTS } from '../../../src/compile/addressing.ts';
import { compileChecked } from '../../../src/compile/refusal.ts';
import { staticBootstrap } from '../../../src/compile/static-config.ts';
import { hasErrors } from '../../../src/config/diagnostics.ts';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { validateConfig } from '../../helpers/envoy.ts';

const SEED = Number(process.env.FC_SEED ?? 20261202);
const RUNS = Number(process.env.FC_RUNS ?? 40);

const MESH = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  services:
    web: {ports: [{port: 9080}], versions: {v1: {image: web:1}}}
    db: {ports: [{port: 5432, protocol: tcp}], versions: {v1: {image: db:1}}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
`;
const KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });

const around = <T>(inside: fc.Arbitrary<T>, edges: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: inside }, { weight: 1, arbitrary: edges });
const clean = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const list = <T>(arb: fc.Arbitrary<T>) => opt(fc.array(arb, { minLength: 1, maxLength: 2 }));

const text = around(fc.constantFrom('*', 'web', 'we*', '*eb', 'a.b(c)*', '/api/*', '*.css', 'GET', '[x]'), fc.constantFrom('', '**', '*a*', 'a\nb', ' '));
const principal = around(fc.constantFrom('cluster.local/ns/default/sa/web', '*', 'cluster.local/*', '*/sa/web'), fc.constantFrom('', 'spiffe://x', 'a b'));
const ip = around(fc.constantFrom('10.0.0.0/8', '127.0.0.1', '::1/128', '0.0.0.0/0'), fc.constantFrom('10.0.0.0/33', '999.1.1.1', '::/200', 'x'));
const port = around(fc.constantFrom('9080', '5432', '80'), fc.constantFrom('0', '65536', 'http', '-1'));
const headerKey = around(fc.constantFrom('x-team', 'user-agent', 'Authorization'), fc.constantFrom('', ':path', 'a b', 'x[y'));
const claimKey = around(fc.constantFrom('[groups]', '[a][b]', '[iss]'), fc.constantFrom('[]', '', '[a.b]'));

const source = fc.record({
  principals: list(principal), notPrincipals: list(principal), requestPrincipals: list(text), notRequestPrincipals: list(text),
  namespaces: list(text), notNamespaces: list(text), ipBlocks: list(ip), notIpBlocks: list(ip), remoteIpBlocks: list(ip),
  serviceAccounts: list(text), trustDomains: list(text),
}).map(clean);
const operation = fc.record({ hosts: list(text), notHosts: list(text), ports: list(port), notPorts: list(port), methods: list(text), notMethods: list(text), paths: list(text), notPaths: list(text) }).map(clean);
const condition = fc.oneof(
  fc.record({ key: headerKey.map((h) => `request.headers[${h}]`), values: list(text), notValues: list(text) }),
  fc.record({ key: claimKey.map((c) => `request.auth.claims${c}`), values: list(text) }),
  fc.record({ key: fc.constantFrom('source.ip', 'remote.ip', 'destination.ip'), values: list(ip), notValues: list(ip) }),
  fc.record({ key: fc.constantFrom('source.namespace', 'source.principal', 'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'connection.sni'), values: list(text) }),
  fc.record({ key: fc.constantFrom('destination.port'), values: list(port) }),
).map(clean);
const rule = fc.record({
  from: list(source.map((s) => ({ source: s }))),
  to: list(operation.map((o) => ({ operation: o }))),
  when: list(condition),
}).map(clean);
const policy = fc.record({
  action: fc.constantFrom('ALLOW', 'DENY', 'AUDIT'),
  namespace: fc.constantFrom('default', 'istio-system'),
  selector: fc.constantFrom(undefined, { app: 'web' }, { app: 'db' }, { istio: 'ingressgateway' }),
  rules: opt(fc.array(rule, { maxLength: 3 })),
  dryRun: fc.boolean(),
});
const jwks = around(fc.constant(JSON.stringify({ keys: [KEY] })), fc.constantFrom('{"keys": []}', '{}', 'x', JSON.stringify({ keys: [{ kty: 'RSA', n: 'x' }] })));
const jwtRule = fc.record({
  issuer: fc.constantFrom('localmesh', 'https://idp.example'),
  audiences: list(text),
  jwks: opt(jwks),
  jwksUri: opt(around(fc.constantFrom('http://web:9080/keys', 'http://web.default:9080/keys', 'https://idp.example/keys'), fc.constantFrom('', 'not a uri', 'http://db:5432/x'))),
  fromHeaders: list(fc.record({ name: around(fc.constantFrom('x-jwt', 'authorization'), fc.constantFrom('', 'a b')), prefix: opt(fc.constantFrom('Bearer ', '')) }).map(clean)),
  fromParams: list(around(fc.constantFrom('token'), fc.constantFrom(''))),
  forwardOriginalToken: opt(fc.boolean()),
  outputPayloadToHeader: opt(around(fc.constantFrom('x-payload'), fc.constantFrom('', 'a b', ':path'))),
  outputClaimToHeaders: list(fc.record({ header: around(fc.constantFrom('x-sub'), fc.constantFrom('a b', ':path', 'host')), claim: fc.constantFrom('sub', 'a.b') })),
  timeout: opt(around(fc.constantFrom('1s', '5s', '1m'), fc.constantFrom('0s', '0.5ms'))),
}).map(clean);
const authentication = fc.record({ namespace: fc.constantFrom('default', 'istio-system'), selector: fc.constantFrom(undefined, { app: 'web' }, { istio: 'ingressgateway' }), jwtRules: fc.array(jwtRule, { maxLength: 2 }) });

type Value<A> = A extends fc.Arbitrary<infer T> ? T : never;

function files(policies: Value<typeof policy>[], authentications: Value<typeof authentication>[]) {
  const docs = [
    ...policies.map((p, i) => ({
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy',
      metadata: { name: `p${i}`, namespace: p.namespace, ...(p.dryRun ? { annotations: { 'istio.io/dry-run': 'true' } } : {}) },
      spec: clean({ action: p.action, selector: p.selector && { matchLabels: p.selector }, rules: p.rules }),
    })),
    ...authentications.map((a, i) => ({
      apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication',
      metadata: { name: `ra${i}`, namespace: a.namespace },
      spec: clean({ selector: a.selector && { matchLabels: a.selector }, jwtRules: a.jwtRules }),
    })),
  ];
  return [{ path: 'mesh.yaml', text: MESH }, { path: 'security.yaml', text: docs.map((d) => stringify(d)).join('---\n') }];
}

describe('mesh validate never accepts a policy Envoy refuses (random policies, real envoy --mode validate)', () => {
  it(`${RUNS} random policy sets (seed ${SEED})`, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(policy, { minLength: 1, maxLength: 3 }), fc.array(authentication, { maxLength: 2 }), async (policies, authentications) => {
        const sources = files(policies, authentications);
        const { model, diagnostics } = loadMeshFromSources(sources, 'random');
        if (!model || hasErrors(diagnostics)) return;
        const { compiled } = compileChecked(model, composeAddressing(), 'random');
        if (!compiled) throw new Error(`mesh validate accepted a policy the compile refuses:\n${sources[1]!.text}`);
        accepted++;
        try {
          await Promise.all(compiled.snapshots.map((s) => validateConfig(staticBootstrap(s, { adminPort: CAPTURE_PORTS.admin }))));
        } catch (error) {
          throw new Error(`mesh validate accepted a policy Envoy refuses:\n${sources[1]!.text}\n\n${(error as Error).message}`);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    console.log(`authorization-vs-envoy: ${accepted} of ${RUNS} random policy sets accepted and served by Envoy (seed ${SEED})`);
    expect(accepted).toBeGreaterThanOrEqual(Math.ceil(RUNS / 4));
  }, 240_000);
});
