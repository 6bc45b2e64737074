// Any AuthorizationPolicy the validator accepts compiles to RBAC filters Envoy's protos accept
// (compileMesh checks every resource against them), on HTTP and tcp ports, whatever the mix of
// fields, not* fields, wildcards, conditions and actions.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { compileMesh } from '../../../src/compile/index.ts';
import { composeAddressing } from '../../../src/compile/addressing.ts';

const SEED = Number(process.env.FC_SEED ?? 20261201);
const RUNS = Number(process.env.FC_RUNS ?? 150);

const MESH = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  services:
    web: {ports: [{port: 9080}], versions: {v1: {image: web:1}}}
    db: {ports: [{port: 5432, protocol: tcp}], versions: {v1: {image: db:1}}}
`;
const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
`;
const JWKS = JSON.stringify({ keys: [generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })] });
const RA = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-system}
spec:
  jwtRules: [{issuer: localmesh, jwks: '${JWKS}'}]
`;

const word = fc.constantFrom('*', 'web', 'we*', '*eb', 'cluster.local/ns/default/sa/web', 'default', '/api/*', '*.css', 'GET', 'localmesh/alice', 'localmesh/*', '*/alice');
const values = fc.option(fc.array(word, { minLength: 1, maxLength: 3 }), { nil: undefined });
const ips = fc.option(fc.array(fc.constantFrom('10.0.0.0/8', '127.0.0.1', '::1/128'), { minLength: 1, maxLength: 2 }), { nil: undefined });
const ports = fc.option(fc.array(fc.constantFrom('9080', '5432', '80'), { minLength: 1, maxLength: 2 }), { nil: undefined });
const clean = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const source = fc.record({ principals: values, notPrincipals: values, namespaces: values, requestPrincipals: values, notRequestPrincipals: values, ipBlocks: ips, notIpBlocks: ips, serviceAccounts: values })
  .map(clean).filter((s) => Object.keys(s).length > 0);
const operation = fc.record({ hosts: values, notHosts: values, ports, notPorts: ports, methods: values, paths: values, notPaths: values })
  .map(clean).filter((o) => Object.keys(o).length > 0);
const condition = fc.record({
  key: fc.constantFrom('request.headers[x-team]', 'source.ip', 'source.namespace', 'source.principal', 'request.auth.principal', 'request.auth.audiences', 'request.auth.claims[groups]', 'request.auth.claims[a][b]', 'destination.port', 'connection.sni', 'remote.ip'),
  which: fc.constantFrom('values', 'notValues'),
}).map(({ key, which }) => ({ key, [which]: key.endsWith('.ip') ? ['10.0.0.0/8'] : key === 'destination.port' ? ['9080'] : ['x*'] }));
const rule = fc.record({
  from: fc.option(fc.array(source.map((s) => ({ source: s })), { minLength: 1, maxLength: 2 }), { nil: undefined }),
  to: fc.option(fc.array(operation.map((o) => ({ operation: o })), { minLength: 1, maxLength: 2 }), { nil: undefined }),
  when: fc.option(fc.array(condition, { minLength: 1, maxLength: 2 }), { nil: undefined }),
}).map(clean);
const policy = fc.record({
  action: fc.constantFrom('ALLOW', 'DENY', 'AUDIT'),
  namespace: fc.constantFrom('default', 'istio-system'),
  selector: fc.constantFrom(undefined, { app: 'web' }, { app: 'db' }, { istio: 'ingressgateway' }),
  rules: fc.option(fc.array(rule, { maxLength: 3 }), { nil: undefined }),
  dryRun: fc.boolean(),
});

describe('AuthorizationPolicy compile (property)', () => {
  it('every accepted policy set compiles to resources Envoy accepts', () => {
    let compiled = 0;
    fc.assert(
      fc.property(fc.array(policy, { minLength: 1, maxLength: 3 }), (policies) => {
        const docs = policies.map((p, i) => stringify({
          apiVersion: 'security.istio.io/v1',
          kind: 'AuthorizationPolicy',
          metadata: { name: `p${i}`, namespace: p.namespace, ...(p.dryRun ? { annotations: { 'istio.io/dry-run': 'true' } } : {}) },
          spec: clean({ action: p.action, selector: p.selector && { matchLabels: p.selector }, rules: p.rules }),
        }));
        const files = [MESH, GATEWAY, RA, ...docs].map((text, i) => ({ path: `f${i}.yaml`, text }));
        const { model } = loadMeshFromSources(files);
        if (!model) return;
        compileMesh(model, composeAddressing());
        compiled++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(compiled).toBeGreaterThan(RUNS / 2);
  });
});
