// mTLS between real Envoys fed over ADS, certificates from the mesh CA over SDS on the same
// stream: with a STRICT PeerAuthentication a meshed client's call goes through a TLS handshake
// (counted by the server sidecar's listener) and a plain-text call straight to the server
// sidecar's inbound port is refused; PERMISSIVE takes both; the caller's identity is checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { createRoot } from '../../../src/control/ca.ts';
import { WorkloadSecrets } from '../../../src/control/secrets.ts';
import { RESOURCE_KINDS } from '../../../src/envoy/snapshot.ts';
import { meshYaml } from '../../helpers/mesh.ts';
import { send, sendMany } from '../../helpers/traffic.ts';
import { startXdsMesh, waitFor, type XdsMesh } from '../../helpers/xds-mesh.ts';

const SIDECARS = ['web-v1', 'cart-v1'];
const MESH = meshYaml({ web: 'v1', cart: 'v1' });
const peerAuthentication = (mode: string, apiVersion = 'security.istio.io/v1') => `
apiVersion: ${apiVersion}
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec:
  mtls: { mode: ${mode} }
`;

/** The test's clock for the CA, moved forward to make certificates due for rotation. */
let clock = Date.now();
let secrets: WorkloadSecrets;

async function meshWith(mode: string, apiVersion?: string): Promise<XdsMesh> {
  clock = Date.now();
  const root = await createRoot(new Date(), 3600_000);
  secrets = new WorkloadSecrets({ root: async () => root, lifetimeMs: 600_000, now: () => new Date(clock) });
  const mesh = await startXdsMesh([MESH, peerAuthentication(mode, apiVersion)], SIDECARS, { secrets });
  await waitFor(
    () => mesh.server.status().filter((p) => SIDECARS.includes(p.id)).every((p) => p.connected && p.sync === 'SYNCED'),
    () => JSON.stringify(mesh.server.status().map((p) => [p.id, RESOURCE_KINDS.map((k) => p.types[k].state)])),
    10_000,
  );
  return mesh;
}

const cartInbound = (mesh: XdsMesh) => mesh.addressing.inboundPort('cart-v1', 9080);
const viaWeb = (mesh: XdsMesh) => ({ port: mesh.addressing.outboundPort('web-v1'), path: '/', headers: { host: 'cart:9080' } });
const handshakes = (mesh: XdsMesh) => mesh.envoys.get('cart-v1')!.stat(`listener.127.0.0.1_${cartInbound(mesh)}.ssl.handshake`);

describe('STRICT', () => {
  let mesh: XdsMesh;
  beforeAll(async () => {
    mesh = await meshWith('STRICT');
  }, 30_000);
  afterAll(() => mesh?.stop());

  it('serves each sidecar its certificate and the root over SDS, ACKed on the ADS stream', () => {
    const cart = mesh.server.status().find((p) => p.id === 'cart-v1')!;
    expect(cart.types.secrets).toMatchObject({ state: 'SYNCED', resources: 2 });
    const secret = mesh.cache.getSnapshot('cart-v1')!.snapshot.secrets.find((s) => s.name === 'default')!;
    const pem = (secret.value.tls_certificate as { certificate_chain: { inline_string: string } }).certificate_chain.inline_string;
    expect(new X509Certificate(pem).subjectAltName).toBe('URI:spiffe://cluster.local/ns/default/sa/cart');
  });

  it('a meshed call goes through mTLS; a plain-text call to the inbound port is refused', async () => {
    const before = await handshakes(mesh);
    const tally = await sendMany(20, viaWeb(mesh));
    expect(tally.byVersion, tally.summary).toEqual({ v1: 20 });
    const after = await handshakes(mesh);
    expect(after).toBeGreaterThan(before);
    console.log(`STRICT: ${after - before} handshake(s) on cart's inbound listener for 20 calls through web's sidecar`);
    const plain = await send({ port: cartInbound(mesh), path: '/', headers: { host: 'cart:9080' } });
    expect(plain.status, plain.error).toBe(0);
    expect(await mesh.envoys.get('cart-v1')!.stat(`listener.127.0.0.1_${cartInbound(mesh)}.no_filter_chain_match`)).toBeGreaterThan(0);
  });

  it("the callee's sidecar sees the caller's SPIFFE id in x-forwarded-client-cert", async () => {
    const reply = await send(viaWeb(mesh));
    expect(reply.reply?.headers['x-forwarded-client-cert']).toContain('URI=spiffe://cluster.local/ns/default/sa/web');
  });

  it('rotates certificates under steady load with 0 failed requests; Envoy serves the new ones', async () => {
    const serials = async (proxy: string) => {
      const certs = (await (await fetch(`${mesh.envoys.get(proxy)!.adminUrl}/certs`)).json()) as { certificates: { cert_chain: { serial_number: string }[] }[] };
      return certs.certificates.flatMap((c) => c.cert_chain.map((x) => x.serial_number)).sort();
    };
    const before = await serials('cart-v1');
    const sdsVersion = () => mesh.server.status().find((p) => p.id === 'cart-v1')!.types.secrets.ackedVersion;
    const acked = sdsVersion();
    const load = sendMany(600, viaWeb(mesh), 4);
    await new Promise((r) => setTimeout(r, 200));
    clock += 301_000; // past half of the 10-minute lifetime
    expect(secrets.rotationDue(clock)).toBe(true);
    const files = [MESH, peerAuthentication('STRICT')];
    mesh.cache.setSnapshots(await secrets.fill(mesh.model, mesh.compile(files).snapshots));
    await waitFor(
      () => mesh.server.status().filter((p) => SIDECARS.includes(p.id)).every((p) => p.sync === 'SYNCED') && sdsVersion() !== acked,
      () => JSON.stringify(mesh.server.status().map((p) => [p.id, p.types.secrets])),
    );
    const tally = await load;
    expect(tally.byVersion, tally.summary).toEqual({ v1: 600 });
    const after = await serials('cart-v1');
    expect(after).not.toEqual(before);
    console.log(`rotation: 600 requests, ${600 - (tally.byVersion.v1 ?? 0)} failed; cart's certificates ${before.join(',')} → ${after.join(',')}`);
    expect((await send(viaWeb(mesh))).status).toBe(200);
  });
});

describe('PERMISSIVE (v1beta1)', () => {
  let mesh: XdsMesh;
  beforeAll(async () => {
    mesh = await meshWith('PERMISSIVE', 'security.istio.io/v1beta1');
  }, 30_000);
  afterAll(() => mesh?.stop());

  it('takes both the meshed mTLS call and a plain-text one', async () => {
    const before = await handshakes(mesh);
    const tally = await sendMany(10, viaWeb(mesh));
    expect(tally.byVersion, tally.summary).toEqual({ v1: 10 });
    expect(await handshakes(mesh)).toBeGreaterThan(before);
    const plain = await send({ port: cartInbound(mesh), path: '/', headers: { host: 'cart:9080' } });
    expect(plain.status, plain.error).toBe(200);
    expect(plain.version).toBe('v1');
  });
});

describe("DestinationRule tls ISTIO_MUTUAL, no PeerAuthentication (Istio's bookinfo destination-rule-all-mtls)", () => {
  let mesh: XdsMesh;
  const DR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: cart }
spec:
  host: cart
  trafficPolicy: { tls: { mode: ISTIO_MUTUAL } }
`;
  beforeAll(async () => {
    const root = await createRoot(new Date(), 3600_000);
    mesh = await startXdsMesh([MESH, DR], SIDECARS, { secrets: new WorkloadSecrets({ root: async () => root }) });
    await waitFor(() => mesh.server.status().filter((p) => SIDECARS.includes(p.id)).every((p) => p.connected && p.sync === 'SYNCED'), () => 'initial sync', 10_000);
  }, 30_000);
  afterAll(() => mesh?.stop());

  it("web's calls to cart go through mTLS (cart's sidecar accepts it, as Istio's PERMISSIVE default); plain text to cart still answers", async () => {
    const before = await handshakes(mesh);
    const tally = await sendMany(10, viaWeb(mesh));
    expect(tally.byVersion, tally.summary).toEqual({ v1: 10 });
    expect(await handshakes(mesh)).toBeGreaterThan(before);
    const plain = await send({ port: cartInbound(mesh), path: '/', headers: { host: 'cart:9080' } });
    expect(plain.status, plain.error).toBe(200);
  });
});

describe('turning STRICT on in a running plain-text mesh', () => {
  let mesh: XdsMesh;
  beforeAll(async () => {
    mesh = await startXdsMesh([MESH], SIDECARS);
  }, 30_000);
  afterAll(() => mesh?.stop());

  it('brings every proxy to SYNCED with its secrets, and calls go through mTLS', async () => {
    await waitFor(() => mesh.server.status().filter((p) => SIDECARS.includes(p.id)).every((p) => p.connected && p.sync === 'SYNCED'), () => 'initial sync', 10_000);
    const live = new WorkloadSecrets({ root: async () => createRoot(new Date(), 3600_000) });
    const snapshots = await live.fill(mesh.model, mesh.compile([MESH, peerAuthentication('STRICT')]).snapshots);
    const turnedOn = Date.now();
    mesh.cache.setSnapshots(snapshots);
    await waitFor(
      () => mesh.server.status().filter((p) => p.connected).every((p) => p.sync === 'SYNCED' && p.types.secrets.state === 'SYNCED'),
      () => JSON.stringify(mesh.server.status().filter((p) => p.connected).map((p) => [p.id, RESOURCE_KINDS.map((k) => `${k} ${p.types[k].state} ${p.types[k].sentVersion ?? '-'}/${p.types[k].ackedVersion ?? '-'}/${p.types[k].latestVersion ?? '-'}`)])),
      // Well under Envoy's 15 s initial fetch timeout: warming clusters get their EDS/SDS answers.
      3000,
    );
    console.log(`STRICT turned on live: SYNCED after ${Date.now() - turnedOn} ms`);
    const before = await handshakes(mesh);
    const tally = await sendMany(10, viaWeb(mesh));
    expect(tally.byVersion, tally.summary).toEqual({ v1: 10 });
    expect(await handshakes(mesh)).toBeGreaterThan(before);
  });
});

describe('mesh generate with mTLS', () => {
  it("inlines each proxy's secrets as static ones, and envoy --mode validate accepts every config", async () => {
    const { compileMesh } = await import('../../../src/compile/index.ts');
    const { composeAddressing } = await import('../../../src/compile/addressing.ts');
    const { staticBootstrap } = await import('../../../src/compile/static-config.ts');
    const { validateConfig } = await import('../../helpers/envoy.ts');
    const { testModel } = await import('../../helpers/mesh.ts');
    const model = testModel([MESH, peerAuthentication('PERMISSIVE')]);
    const root = await createRoot(new Date(), 3600_000);
    const snapshots = await new WorkloadSecrets({ root: async () => root }).fill(model, compileMesh(model, composeAddressing()).snapshots);
    for (const snapshot of snapshots) {
      const config = staticBootstrap(snapshot, { adminPort: 15000 });
      expect(JSON.stringify(config)).not.toContain('sds_config');
      expect((config.static_resources as { secrets: unknown[] }).secrets).toHaveLength(2);
      await validateConfig(config);
    }
  });
});
