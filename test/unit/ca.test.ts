import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, createRoot } from '../../src/control/ca.ts';
import { caDir, loadOrCreateRoot } from '../../src/control/ca-root.ts';
import { serviceAccountOf, spiffeId } from '../../src/config/identity.ts';

const NOW = new Date('2026-12-01T12:00:00Z');

describe('the mesh CA', () => {
  it('issues a workload certificate with the SPIFFE id as URI SAN, chained to the root', async () => {
    const root = await createRoot(NOW, 3600_000);
    const ca = new CertificateAuthority(root);
    const cert = await ca.issue('spiffe://cluster.local/ns/default/sa/web', NOW, 600_000);
    const leaf = new X509Certificate(cert.certPem);
    const rootCert = new X509Certificate(root.certPem);
    expect(rootCert.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.subjectAltName).toBe('URI:spiffe://cluster.local/ns/default/sa/web');
    expect(leaf.checkIssued(rootCert)).toBe(true);
    expect(leaf.verify(rootCert.publicKey)).toBe(true);
    expect(new Date(leaf.validTo).getTime() - NOW.getTime()).toBe(600_000);
    expect(leaf.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(cert.keyPem))).toBe(true);
  });

  it('does not chain a certificate to another root', async () => {
    const ca = new CertificateAuthority(await createRoot(NOW, 3600_000));
    const other = new X509Certificate((await createRoot(NOW, 3600_000)).certPem);
    const leaf = new X509Certificate((await ca.issue('spiffe://cluster.local/ns/default/sa/web', NOW, 600_000)).certPem);
    expect(leaf.verify(other.publicKey)).toBe(false);
  });

  it('never issues past the root', async () => {
    const ca = new CertificateAuthority(await createRoot(NOW, 60_000));
    const leaf = await ca.issue('spiffe://cluster.local/ns/default/sa/web', NOW, 3600_000);
    expect(leaf.notAfter.getTime()).toBeLessThanOrEqual(NOW.getTime() + 60_000);
  });
});

describe('the root on disk', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('is made on first use with a 0600 key, and read back after', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mesh-ca-'));
    dirs.push(dir);
    const first = await loadOrCreateRoot(dir);
    expect((await stat(join(caDir(dir), 'root-key.pem'))).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateRoot(dir);
    expect(again).toEqual(first);
  });
});

describe('identities', () => {
  it('are Istio SPIFFE ids; the service account defaults to the service name', () => {
    expect(spiffeId('default', serviceAccountOf({ name: 'web' }, {}))).toBe('spiffe://cluster.local/ns/default/sa/web');
    expect(spiffeId('shop', serviceAccountOf({ name: 'web' }, { serviceAccount: 'frontend' }))).toBe('spiffe://cluster.local/ns/shop/sa/frontend');
  });
});
