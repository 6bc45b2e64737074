// examples/zero-trust on the Compose runtime: STRICT mTLS and an AuthorizationPolicy that lets
// only web call cart. web's call is 200, pricing's is 403 `RBAC: access denied`; an edit of the
// policy file flips it within a second. Then a JWT policy on the gateway with a token from
// `mesh token`: none → 403, valid → 200, expired → 401.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/traffic.ts';
import { cleanUp, copyExample, mesh, sleep, waitFor, type Example } from './harness.ts';

let example: Example | undefined;

interface Reply { upstreams?: Array<{ status: number; body: unknown }> }
/** What cart answered the caller behind the gateway path (/web or /pricing). */
async function cartFor(path: string): Promise<{ status: number; body: unknown }> {
  const res = await send({ port: example!.gatewayPort, path, timeoutMs: 10_000 });
  try {
    return (JSON.parse(res.body) as Reply).upstreams?.[0] ?? { status: res.status, body: res.body };
  } catch {
    return { status: res.status, body: res.body };
  }
}

beforeAll(async () => {
  example = await copyExample('zero-trust', 'authz');
  const up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
  await waitFor('web answers through the gateway', async () => (await cartFor('/web')).status === 200, 60_000);
}, 240_000);

afterAll(() => cleanUp(example), 120_000);

describe('AuthorizationPolicy on the Compose runtime (examples/zero-trust)', () => {
  it("web's call to cart is 200, pricing's is 403 RBAC: access denied; an edit flips it within a second", async () => {
    expect((await cartFor('/web')).status).toBe(200);
    expect(await cartFor('/pricing')).toMatchObject({ status: 403, body: 'RBAC: access denied' });
    const file = join(example!.dir, 'authorization.yaml');
    const text = await readFile(file, 'utf8');
    const savedAt = performance.now();
    await writeFile(file, text.replace('principals: ["cluster.local/ns/default/sa/web"]', 'principals: ["cluster.local/ns/default/sa/web", "cluster.local/ns/default/sa/pricing"]'));
    let flipped: number | undefined;
    while (flipped === undefined && performance.now() < savedAt + 10_000) {
      if ((await cartFor('/pricing')).status === 200) flipped = performance.now() - savedAt;
      else await sleep(20);
    }
    console.log(`policy edit on Compose: pricing allowed ${Math.round(flipped ?? -1)} ms after the save`);
    expect(flipped, 'pricing still refused 10 s after the save').toBeDefined();
    expect(flipped!).toBeLessThan(1000);
    expect((await cartFor('/web')).status).toBe(200);
  }, 60_000);

  it('a JWT policy on the gateway: no token 403, a token from mesh token 200, an expired one 401', async () => {
    const jwks = await mesh('token', example!.dir, '--print-jwks');
    expect(jwks.code, jwks.stderr).toBe(0);
    await writeFile(join(example!.dir, 'jwt.yaml'), `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: gateway-jwt, namespace: istio-system }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  jwtRules:
    - issuer: localmesh
      jwks: '${jwks.stdout.trim()}'
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: secure-needs-token, namespace: istio-system }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  action: DENY
  rules:
    - from: [{ source: { notRequestPrincipals: ["*"] } }]
      to: [{ operation: { paths: ["/secure/*"] } }]
`);
    await waitFor('/secure refused without a token', async () => (await send({ port: example!.gatewayPort, path: '/secure/orders' })).status === 403, 10_000);
    const token = (await mesh('token', example!.dir, '--sub', 'alice')).stdout.trim();
    expect((await send({ port: example!.gatewayPort, path: '/secure/orders', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const expired = (await mesh('token', example!.dir, '--expires=-5m')).stdout.trim();
    const late = await send({ port: example!.gatewayPort, path: '/secure/orders', headers: { authorization: `Bearer ${expired}` } });
    expect([late.status, late.body]).toEqual([401, 'Jwt is expired']);
  }, 60_000);
});
