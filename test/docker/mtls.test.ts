// examples/shop with a mesh-wide STRICT PeerAuthentication on the Compose runtime. `mesh up` makes
// the mesh CA's root on the host (the control plane's container mounts the directory read-only),
// every proxy gets its certificate over SDS, calls between sidecars go through mTLS, and a
// plain-text client outside the mesh (the control plane's own container: not captured) is
// refused by the callee's sidecar. Edited to PERMISSIVE while running, the same plain call answers.
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyStatus } from '../../src/xds/types.ts';
import { send } from '../helpers/traffic.ts';
import { apiOf, cleanUp, copyExample, fetchInStack, getJson, mesh, nodeInStack, waitFor, type Example } from './harness.ts';

let example: Example | undefined;
let api = '';

const policy = (mode: string) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec:
  mtls: { mode: ${mode} }
`;

/** The sum of every listener's ssl.handshake counter of a proxy (its stats port, from inside the stack). */
async function handshakes(proxyHost: string): Promise<number> {
  const text = await fetchInStack(example!.project, `http://${proxyHost}:15090/stats?filter=${encodeURIComponent('^listener\\..*\\.ssl\\.handshake$')}`);
  return text
    .split('\n')
    .filter((l) => l.includes('ssl.handshake: '))
    .reduce((sum, l) => sum + Number(l.split(': ')[1]), 0);
}

/** A plain-text GET from the control plane's container (outside the mesh): the status, or the error's sentence. */
const plainCall = (url: string) =>
  nodeInStack(
    example!.project,
    `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }).then((r) => process.stdout.write(String(r.status)), (e) => process.stdout.write('error: ' + String(e.cause ?? e)))`,
  );

beforeAll(async () => {
  example = await copyExample('shop', 'mtls');
  await writeFile(join(example.dir, 'peer-authentication.yaml'), policy('STRICT'));
  const up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  expect(up.code, `mesh up failed:\n${up.stdout}${up.stderr}`).toBe(0);
  api = await apiOf(example.dir);
}, 240_000);

afterAll(() => cleanUp(example), 120_000);

describe('STRICT mTLS on the Compose runtime (examples/shop)', () => {
  it('the root is made on the host (key 0600); every proxy is SYNCED with its certificate over SDS', async () => {
    expect((await stat(join(example!.dir, '.mesh', 'ca', 'root-key.pem'))).mode & 0o777).toBe(0o600);
    const proxies = await getJson<ProxyStatus[]>(`${api}/proxies`);
    expect(proxies.length).toBeGreaterThanOrEqual(6);
    for (const p of proxies) expect([p.id, p.sync, p.types.secrets.state]).toEqual([p.id, 'SYNCED', 'SYNCED']);
    const config = await mesh('proxy-config', 'pricing-v1', 'secrets', '--api', api);
    expect(config.stdout).toContain('spiffe://cluster.local/ns/default/sa/pricing');
  });

  it('gateway → frontend → catalog → pricing answers, with TLS handshakes on the callees’ sidecars', async () => {
    let ok = 0;
    for (let i = 0; i < 10; i++) if ((await send({ port: example!.gatewayPort, path: '/', timeoutMs: 10_000 })).status === 200) ok++;
    expect(ok).toBeGreaterThanOrEqual(8); // cart fails 5% by design
    // Connections are pooled: a handshake or more per caller, made by the first calls.
    for (const callee of ['catalog-v1-proxy', 'cart-v1-proxy', 'pricing-v1-proxy']) expect(await handshakes(callee), callee).toBeGreaterThanOrEqual(1);
  });

  it('a plain-text client outside the mesh is refused; after an edit to PERMISSIVE it is answered', async () => {
    expect(await plainCall('http://catalog:9080/healthz')).toMatch(/^error: /);
    await writeFile(join(example!.dir, 'peer-authentication.yaml'), policy('PERMISSIVE'));
    await waitFor('the plain call answered under PERMISSIVE', async () => (await plainCall('http://catalog:9080/healthz')) === '200', 30_000);
  }, 60_000);
});
