// examples/shop with a mesh-wide STRICT PeerAuthentication on the process runtime: the control
// plane is the CA (its root made in DIR/.mesh/ca), every proxy gets its certificate over SDS,
// calls between sidecars go through mTLS and still answer, and a plain-text connection straight
// to a sidecar's inbound port is refused.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProxyStatus } from '../../../src/xds/types.ts';
import { send } from '../../helpers/traffic.ts';
import { getJson, mesh, upExample } from './harness.ts';

const STRICT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec:
  mtls: { mode: STRICT }
`;

const shop = upExample('shop', { prepare: (dir) => writeFile(join(dir, 'peer-authentication.yaml'), STRICT) });

describe('STRICT mTLS on the process runtime (examples/shop)', () => {
  it('every proxy is SYNCED with its certificate and the root over SDS; the root key is 0600', async () => {
    const proxies = await getJson<ProxyStatus[]>(`${shop.api}/proxies`);
    for (const p of proxies.filter((p) => p.connected)) expect([p.id, p.sync, p.types.secrets.state]).toEqual([p.id, 'SYNCED', 'SYNCED']);
    expect((await stat(join(shop.dir, '.mesh', 'ca', 'root-key.pem'))).mode & 0o777).toBe(0o600);
    const config = await mesh('proxy-config', 'cart-v1', 'secrets', '--api', shop.api);
    expect(config.stdout).toContain('spiffe://cluster.local/ns/default/sa/cart');
    expect(config.stdout).not.toContain('PRIVATE KEY');
  });

  it('gateway → frontend → catalog → pricing and → cart answer through mTLS; plain text to an inbound port is refused', async () => {
    let ok = 0;
    for (let i = 0; i < 10; i++) if ((await send({ port: shop.gatewayPort, path: '/', timeoutMs: 10_000 })).status === 200) ok++;
    expect(ok).toBeGreaterThanOrEqual(8); // cart fails 5% by design
    const map = JSON.parse(await readFile(join(shop.dir, '.mesh', 'process', 'addressing.json'), 'utf8')) as { ports: Record<string, number> };
    const inbound = Object.entries(map.ports).find(([key]) => /^inbound catalog-v1\b/.test(key));
    expect(inbound, JSON.stringify(map.ports)).toBeDefined();
    const plain = await send({ port: inbound![1], path: '/items', headers: { host: 'catalog:9080' }, timeoutMs: 5000 });
    expect(plain.status, plain.body).toBe(0);
  });
});
