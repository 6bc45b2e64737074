// examples/zero-trust on the process runtime: STRICT mTLS and an AuthorizationPolicy that lets
// only web call cart. web's call is 200, pricing's is 403 `RBAC: access denied`; an edit of the
// policy file flips it within a second with no failed request for web meanwhile. Then a JWT
// policy on the gateway with a token from `mesh token`: none → 403, valid → 200, expired → 401.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { send } from '../../helpers/traffic.ts';
import { failed, mesh, sleep, startLoad, upExample } from './harness.ts';

const zt = upExample('zero-trust');

interface Reply { upstreams?: Array<{ status: number; body: unknown }> }
/** What cart answered the caller behind the gateway path (/web or /pricing). */
async function cartFor(path: string): Promise<{ status: number; body: unknown }> {
  const res = await send({ port: zt.gatewayPort, path, timeoutMs: 5000 });
  const upstream = (JSON.parse(res.body || '{}') as Reply).upstreams?.[0];
  return upstream ?? { status: res.status, body: res.body };
}

describe('AuthorizationPolicy on the process runtime (examples/zero-trust)', () => {
  it("web's call to cart is 200, pricing's is 403 RBAC: access denied", async () => {
    expect((await cartFor('/web')).status).toBe(200);
    expect(await cartFor('/pricing')).toMatchObject({ status: 403, body: 'RBAC: access denied' });
  });

  it('editing the policy file flips it within a second, with no failed request for web in between', async () => {
    const load = startLoad(zt.gatewayPort, 4, '/web');
    await sleep(500);
    const file = join(zt.dir, 'authorization.yaml');
    const text = await readFile(file, 'utf8');
    const savedAt = performance.now();
    await writeFile(file, text.replace('principals: ["cluster.local/ns/default/sa/web"]', 'principals: ["cluster.local/ns/default/sa/web", "cluster.local/ns/default/sa/pricing"]'));
    let flipped: number | undefined;
    while (flipped === undefined && performance.now() < savedAt + 5000) {
      if ((await cartFor('/pricing')).status === 200) flipped = performance.now() - savedAt;
    }
    await sleep(300);
    const responses = await load.stop();
    const cartFailed = responses.filter((r) => (JSON.parse(r.body || '{}') as Reply).upstreams?.[0]?.status !== 200);
    console.log(`policy edit: pricing allowed ${Math.round(flipped ?? -1)} ms after the save; web: ${responses.length} requests, ${failed(responses).length + cartFailed.length} failed`);
    expect(flipped, 'pricing still refused 5 s after the save').toBeDefined();
    expect(flipped!).toBeLessThan(1000);
    expect(failed(responses).map((r) => `${r.status} ${r.error ?? r.body.slice(0, 80)}`)).toEqual([]);
    expect(cartFailed.map((r) => r.body.slice(0, 120))).toEqual([]);
  }, 30_000);
});

describe('RequestAuthentication on the gateway with a token from mesh token', () => {
  it('no token to a path that requires one: 403; a token from mesh token: 200; an expired one: 401', async () => {
    const jwks = await mesh('token', zt.dir, '--print-jwks');
    expect(jwks.code, jwks.stderr).toBe(0);
    expect(jwks.stderr).toContain('made a signing key');
    expect((await stat(join(zt.dir, '.mesh', 'token', 'key.pem'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(zt.dir, '.mesh', 'token', 'jwks.json'), 'utf8'))).toEqual(JSON.parse(jwks.stdout));
    await writeFile(join(zt.dir, 'jwt.yaml'), `apiVersion: security.istio.io/v1
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
    const validate = await mesh('validate', zt.dir);
    expect(validate.stdout + validate.stderr).toContain('0 errors, 0 warnings');
    const until = Date.now() + 5000;
    let status = 0;
    while ((status = (await send({ port: zt.gatewayPort, path: '/secure/orders' })).status) !== 403 && Date.now() < until) await sleep(50);
    expect(status).toBe(403);
    const token = await mesh('token', zt.dir, '--sub', 'alice');
    const ok = await send({ port: zt.gatewayPort, path: '/secure/orders', headers: { authorization: `Bearer ${token.stdout.trim()}` } });
    expect(ok.status, ok.body).toBe(200);
    const expired = await mesh('token', zt.dir, '--sub', 'alice', '--expires=-5m');
    const late = await send({ port: zt.gatewayPort, path: '/secure/orders', headers: { authorization: `Bearer ${expired.stdout.trim()}` } });
    expect([late.status, late.body]).toEqual([401, 'Jwt is expired']);
    expect((await send({ port: zt.gatewayPort, path: '/web' })).status).toBe(200);
  }, 30_000);
});
