// AuthorizationPolicy and RequestAuthentication between real Envoys fed over ADS, with STRICT
// mTLS (certificates from the mesh CA over SDS): the callee's RBAC filter reads the caller's
// SPIFFE id from its certificate, jwt_authn verifies tokens minted by `mesh token`'s issuer, and
// Istio's evaluation order (DENY before ALLOW, an ALLOW policy without rules denies all) holds.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoot } from '../../../src/control/ca.ts';
import { loadOrCreateIssuer, mint, type Issuer } from '../../../src/control/jwt-issuer.ts';
import { WorkloadSecrets } from '../../../src/control/secrets.ts';
import { meshYaml } from '../../helpers/mesh.ts';
import { send, sendMany, type Request } from '../../helpers/traffic.ts';
import { startXdsMesh, waitFor, type XdsMesh } from '../../helpers/xds-mesh.ts';

const SIDECARS = ['web-v1', 'pricing-v1', 'cart-v1', 'db-v1'];
const MESH = meshYaml({ web: 'v1', pricing: 'v1', cart: 'v1', db: { versions: 'v1', port: 5432, protocol: 'tcp' } });
const STRICT = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec:
  mtls: { mode: STRICT }
`;
const cartPolicy = (spec: string, name = 'cart-callers') => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ${name}, namespace: default }
spec:
  selector: { matchLabels: { app: cart } }
${spec}`;
const ONLY = (...sas: string[]) => cartPolicy(`  rules:
    - from:
        - source: { principals: [${sas.map((sa) => `"cluster.local/ns/default/sa/${sa}"`).join(', ')}] }
`);

let mesh: XdsMesh;
let secrets: WorkloadSecrets;
let issuer: Issuer;
let keyDir: string;

/** Compile, fill the secrets, publish, and wait until every sidecar has ACKed. */
async function publish(...files: string[]): Promise<number> {
  const snapshots = await secrets.fill(mesh.model, mesh.compile([MESH, STRICT, ...files]).snapshots);
  mesh.cache.setSnapshots(snapshots);
  const at = Date.now();
  // The cache's versions are the latest at once: wait until every sidecar has ACKed them.
  await waitFor(
    () => mesh.server.status().filter((p) => SIDECARS.includes(p.id))
      .every((p) => p.connected && p.sync === 'SYNCED' && p.types.listeners.ackedVersion === p.types.listeners.latestVersion),
    () => JSON.stringify(mesh.server.status().map((p) => [p.id, p.sync, p.types.listeners])),
    10_000,
  );
  return at;
}

/**
 * The status a request gets once the edit holds: a connection opened before it finishes its next
 * request on the old filter chain, then closes (Envoy's immediate drain), so retry for a second.
 */
async function settled(req: Request, status: number): Promise<number> {
  let last = 0;
  await waitFor(async () => (last = (await send(req)).status) === status, () => `still ${last}, not ${status}`, 1000);
  return last;
}

const from = (caller: string, req: Partial<Request> = {}): Request => ({
  port: mesh.addressing.outboundPort(`${caller}-v1`),
  path: '/',
  ...req,
  headers: { host: 'cart:9080', ...req.headers },
});

beforeAll(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'localmesh-authz-'));
  issuer = await loadOrCreateIssuer(keyDir);
  const root = await createRoot(new Date(), 3600_000);
  secrets = new WorkloadSecrets({ root: async () => root, lifetimeMs: 600_000 });
  mesh = await startXdsMesh([MESH, STRICT, ONLY('web')], SIDECARS, { secrets });
  await waitFor(() => mesh.server.status().filter((p) => SIDECARS.includes(p.id)).every((p) => p.connected && p.sync === 'SYNCED'), () => 'initial sync', 10_000);
}, 30_000);
afterAll(async () => {
  await mesh?.stop();
  await rm(keyDir, { recursive: true, force: true });
});

describe('AuthorizationPolicy on real Envoys (STRICT mTLS)', () => {
  it("lets only web's principal call cart: web 200, pricing 403 RBAC: access denied, counted per policy", async () => {
    const web = await send(from('web'));
    expect(web.status, web.body).toBe(200);
    const pricing = await send(from('pricing'));
    expect(pricing.status).toBe(403);
    expect(pricing.body).toBe('RBAC: access denied');
    const cart = mesh.envoys.get('cart-v1')!;
    const inbound = 'http.inbound_9080.rbac.allow';
    expect(await cart.stat(`${inbound}.allowed`)).toBeGreaterThan(0);
    expect(await cart.stat(`${inbound}.denied`)).toBeGreaterThan(0);
    expect(await cart.stat(`${inbound}.policy.ns[default]-policy[cart-callers]-rule[0].allowed`)).toBeGreaterThan(0);
  });

  it('an edit adding pricing flips it within a second, with no failed request for web meanwhile', async () => {
    const load = sendMany(300, from('web'), 4);
    await new Promise((r) => setTimeout(r, 100));
    const at = await publish(ONLY('web', 'pricing'));
    let flipped = 0;
    await waitFor(async () => (await send(from('pricing'))).status === 200 && (flipped = Date.now() - at) >= 0, () => 'pricing still refused', 1000);
    const tally = await load;
    expect(tally.byVersion, tally.summary).toEqual({ v1: 300 });
    console.log(`policy edit: pricing allowed ${flipped} ms after publishing; web: ${tally.summary}`);
  });

  it('DENY is evaluated before ALLOW; not* fields and methods', async () => {
    await publish(cartPolicy('  rules: [{}]\n', 'allow-all'), cartPolicy(`  action: DENY
  rules:
    - to: [{ operation: { methods: ["DELETE"], notPaths: ["/public/*"] } }]
`, 'no-delete'));
    expect(await settled(from('pricing', { method: 'DELETE', path: '/items/1' }), 403)).toBe(403);
    expect((await send(from('pricing'))).status).toBe(200);
    expect((await send(from('pricing', { method: 'DELETE', path: '/public/x' }))).status).toBe(200);
    expect(await mesh.envoys.get('cart-v1')!.stat('http.inbound_9080.rbac.deny.denied')).toBeGreaterThan(0);
  });

  it('an ALLOW policy without rules denies everything; namespaces and when on headers', async () => {
    await publish(cartPolicy('', 'allow-nothing'));
    expect(await settled(from('web'), 403)).toBe(403);
    await publish(cartPolicy(`  rules:
    - from: [{ source: { namespaces: ["default"] } }]
      when: [{ key: "request.headers[x-team]", values: ["blue", "gr*"] }]
`));
    expect(await settled(from('web', { headers: { 'x-team': 'green' } }), 200)).toBe(200);
    expect((await send(from('web'))).status).toBe(403);
    expect((await send(from('web', { headers: { 'x-team': 'red' } }))).status).toBe(403);
  });
});

describe('AuthorizationPolicy on a tcp port (network RBAC)', () => {
  const dbPolicy = (rules: string) => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: db-callers, namespace: default }
spec:
  selector: { matchLabels: { app: db } }
  rules:
${rules}`;
  const toDb = (caller: string): Request => ({ port: mesh.addressing.tcpOutboundPort(`${caller}-v1`, 'db.default.svc.cluster.local', 5432), path: '/query' });

  it("only web's principal connects; an ALLOW rule with HTTP-only fields matches nothing there, as in Istio", async () => {
    await publish(dbPolicy('    - from: [{ source: { principals: ["cluster.local/ns/default/sa/web"] } }]\n'));
    expect((await send(toDb('web'))).version).toBe('v1');
    expect(await settled(toDb('pricing'), 0)).toBe(0);
    expect(await mesh.envoys.get('db-v1')!.stat('inbound_5432.allow.rbac.denied')).toBeGreaterThan(0);
    await publish(dbPolicy('    - from: [{ source: { principals: ["cluster.local/ns/default/sa/web"] } }]\n      to: [{ operation: { methods: ["GET"] } }]\n'));
    expect(await settled(toDb('web'), 0)).toBe(0);
  });
});

describe('RequestAuthentication on real Envoys', () => {
  const jwtFiles = () => [
    `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: cart-jwt, namespace: default }
spec:
  selector: { matchLabels: { app: cart } }
  jwtRules:
    - issuer: localmesh
      jwks: '${issuer.jwks}'
      outputClaimToHeaders: [{ header: x-user, claim: sub }]
`,
    cartPolicy(`  rules:
    - to: [{ operation: { paths: ["/secure/*"] } }]
      from: [{ source: { requestPrincipals: ["localmesh/*"] } }]
    - to: [{ operation: { paths: ["/admin"] } }]
      when: [{ key: "request.auth.claims[groups]", values: ["admin"] }]
    - to: [{ operation: { notPaths: ["/secure/*", "/admin"] } }]
`),
  ];
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    await publish(...jwtFiles());
  }, 15_000);

  it('no token: 403 where a request principal is required, 200 elsewhere; a valid token: 200; an expired one: 401', async () => {
    expect(await settled(from('web', { path: '/secure/orders' }), 403)).toBe(403);
    expect((await send(from('web', { path: '/open' }))).status).toBe(200);
    const token = mint(issuer, { iss: 'localmesh', sub: 'alice', expiresInS: 600 });
    const ok = await send(from('web', { path: '/secure/orders', headers: bearer(token) }));
    expect(ok.status, ok.body).toBe(200);
    expect(ok.reply?.headers['x-user']).toBe('alice');
    expect(ok.reply?.headers.authorization).toBeUndefined(); // not forwarded without forwardOriginalToken
    const expired = mint(issuer, { iss: 'localmesh', sub: 'alice', expiresInS: -300 }) // past Envoy's 60 s allowance for clock skew;
    const late = await send(from('web', { path: '/secure/orders', headers: bearer(expired) }));
    expect(late.status).toBe(401);
    expect(late.body).toContain('Jwt is expired');
    const [head, , signature] = token.split('.');
    const forged = `${head}.${Buffer.from(JSON.stringify({ iss: 'localmesh', sub: 'mallory', exp: 4_000_000_000 })).toString('base64url')}.${signature}`;
    const refused = await send(from('web', { path: '/open', headers: bearer(forged) }));
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('Jwt verification fails');
  });

  it('claims in when: a list claim containing the value matches', async () => {
    const admin = mint(issuer, { iss: 'localmesh', sub: 'root', expiresInS: 600, extra: { groups: ['dev', 'admin'] } });
    const dev = mint(issuer, { iss: 'localmesh', sub: 'bob', expiresInS: 600, extra: { groups: ['dev'] } });
    expect((await send(from('web', { path: '/admin', headers: bearer(admin) }))).status).toBe(200);
    expect((await send(from('web', { path: '/admin', headers: bearer(dev) }))).status).toBe(403);
  });
});
