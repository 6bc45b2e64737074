import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRoot } from '../../../src/control/ca.ts';
import { proxySpiffeId, withoutPrivateKey, WorkloadSecrets } from '../../../src/control/secrets.ts';
import { consistencyProblems } from '../../../src/xds/cache.ts';
import { compile, model } from '../compile/compile-helpers.ts';

const STRICT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
`;

const certOf = (s: { value: Record<string, unknown> }) =>
  new X509Certificate((s.value.tls_certificate as { certificate_chain: { inline_string: string } }).certificate_chain.inline_string);

describe('the secrets of each proxy', () => {
  it('without mTLS: the snapshots as they are, and the root is never read', async () => {
    let asked = 0;
    const secrets = new WorkloadSecrets({ root: async () => (asked++, createRoot(new Date(), 3600_000)) });
    const compiled = compile([]);
    const filled = await secrets.fill(model(), compiled.snapshots);
    expect(filled.every((s, i) => s === compiled.snapshots[i])).toBe(true);
    expect(asked).toBe(0);
  });

  it('with STRICT: default (its SPIFFE id) and ROOTCA per proxy, consistent snapshots, keys kept from the API', async () => {
    const root = await createRoot(new Date(), 3600_000);
    const secrets = new WorkloadSecrets({ root: async () => root });
    const m = model(STRICT);
    const filled = await secrets.fill(m, compile([STRICT]).snapshots);
    for (const s of filled) {
      expect(consistencyProblems(s), s.proxy).toEqual([]);
      expect(s.secrets.map((r) => r.name)).toEqual(['ROOTCA', 'default']);
      expect(certOf(s.secrets[1]!).subjectAltName).toBe(`URI:${proxySpiffeId(m, s)}`);
    }
    expect(proxySpiffeId(m, { proxy: 'reviews-v2', service: 'reviews', version: 'v2' })).toBe('spiffe://cluster.local/ns/default/sa/reviews');
    expect(proxySpiffeId(m, { proxy: 'mesh-gateway' })).toBe('spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account');
    expect(JSON.stringify(filled[0]!.secrets.map(withoutPrivateKey))).not.toContain('PRIVATE KEY');
  });

  it('a snapshot naming a secret it lacks is inconsistent', () => {
    const [s] = compile([STRICT]).snapshots;
    expect(consistencyProblems(s!)).toContain('a transport socket refers to secret "default", which is not in the snapshot');
  });

  it('reuses a certificate until half its lifetime (settings.certificates.lifetime), then issues a new one', async () => {
    const root = await createRoot(new Date(), 3600_000);
    let now = new Date();
    const secrets = new WorkloadSecrets({ root: async () => root, now: () => now });
    const settings = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  settings: {certificates: {lifetime: 10s}}
  services:
    reviews: {ports: [{port: 9080}], versions: {v1: {image: reviews:1}}}
`;
    const { loadMeshFromSources } = await import('../../../src/config/index.ts');
    const { compileMesh } = await import('../../../src/compile/index.ts');
    const { composeAddressing } = await import('../../../src/compile/addressing.ts');
    const m = loadMeshFromSources([{ path: 'mesh.yaml', text: settings }, { path: 'pa.yaml', text: STRICT }]).model!;
    const snapshots = compileMesh(m, composeAddressing()).snapshots;
    const serial = async () => certOf((await secrets.fill(m, snapshots)).find((s) => s.proxy === 'reviews-v1')!.secrets[1]!).serialNumber;
    const first = await serial();
    expect(secrets.rotationDue(now.getTime())).toBe(false);
    now = new Date(now.getTime() + 4000);
    expect(await serial()).toBe(first);
    now = new Date(now.getTime() + 1500);
    expect(secrets.rotationDue(now.getTime())).toBe(true);
    expect(await serial()).not.toBe(first);
    expect(secrets.rotationDue(now.getTime())).toBe(false);
  });
});
