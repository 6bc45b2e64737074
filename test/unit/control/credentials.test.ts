// Gateway credentials filled into snapshots: files of the mesh directory, a credentialName's
// directory, and the local certificate (made once, kept in DIR/.mesh/gateway-certs, signed by the
// mesh root); a missing file is an error at the Gateway that names it.
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, createRoot } from '../../../src/control/ca.ts';
import { CredentialError, localCertificateNotes } from '../../../src/control/credentials.ts';
import { WorkloadSecrets } from '../../../src/control/secrets.ts';
import { consistencyProblems } from '../../../src/xds/cache.ts';
import { compile, model } from '../compile/compile-helpers.ts';

const HOUR = 3600_000;
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const gateway = (tls: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: secure}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: ${tls}
`;

const chainOf = (value: Record<string, unknown>) => (value.tls_certificate as { certificate_chain: { inline_string: string } }).certificate_chain.inline_string;

async function fill(tls: string, dir: string, root: Awaited<ReturnType<typeof createRoot>>) {
  const secrets = new WorkloadSecrets({ root: async () => root, dir });
  const docs = [gateway(tls)];
  const filled = await secrets.fill(model(...docs), compile(docs).snapshots);
  return filled.find((s) => s.proxy === 'mesh-gateway')!;
}

describe('gateway credentials', async () => {
  const root = await createRoot(new Date(), HOUR);
  const dir = await mkdtemp(join(tmpdir(), 'localmesh-credentials-'));
  dirs.push(dir);

  it('a local certificate for the hosts, signed by the mesh root, kept and served again as it is', async () => {
    const first = await fill('{mode: SIMPLE}', dir, root);
    expect(consistencyProblems(first)).toEqual([]);
    expect(first.secrets.map((s) => s.name)).toEqual(['local-cert:shop.example.com']);
    const cert = new X509Certificate(chainOf(first.secrets[0]!.value));
    expect(cert.subjectAltName).toBe('DNS:shop.example.com, IP Address:127.0.0.1');
    expect(cert.verify(new X509Certificate(root.certPem).publicKey)).toBe(true);
    const kept = join(dir, '.mesh', 'gateway-certs', 'shop.example.com');
    expect((await stat(join(kept, 'tls.key'))).mode & 0o777).toBe(0o600);
    const again = await fill('{mode: SIMPLE}', dir, root);
    expect(chainOf(again.secrets[0]!.value)).toBe(await readFile(join(kept, 'tls.crt'), 'utf8'));
    expect(chainOf(again.secrets[0]!.value)).toBe(chainOf(first.secrets[0]!.value));
    // Another root (a deleted DIR/.mesh/ca): the kept certificate is not its, so a new one is made.
    const other = await createRoot(new Date(), HOUR);
    expect(chainOf((await fill('{mode: SIMPLE}', dir, other)).secrets[0]!.value)).not.toBe(chainOf(first.secrets[0]!.value));
    expect(localCertificateNotes(model(gateway('{mode: SIMPLE}')), dir).join('\n')).toContain(`curl --cacert ${join(dir, '.mesh', 'ca', 'root-cert.pem')}`);
    expect(localCertificateNotes(model(gateway('{mode: SIMPLE, credentialName: c}')), dir)).toEqual([]);
  });

  it("a credentialName's tls.crt, tls.key and ca.crt from DIR/credentials/NAME", async () => {
    const user = new CertificateAuthority(await createRoot(new Date(), HOUR, 'user'));
    const made = await user.issueServer(['shop.example.com'], new Date(), HOUR);
    await mkdir(join(dir, 'credentials', 'shop'), { recursive: true });
    await writeFile(join(dir, 'credentials', 'shop', 'tls.crt'), made.certPem);
    await writeFile(join(dir, 'credentials', 'shop', 'tls.key'), made.keyPem);
    await writeFile(join(dir, 'credentials', 'shop', 'ca.crt'), user.rootPem);
    const s = await fill('{mode: MUTUAL, credentialName: shop}', dir, root);
    expect(s.secrets.map((r) => r.name)).toEqual(['kubernetes://shop', 'kubernetes://shop-cacert']);
    expect(chainOf(s.secrets[0]!.value)).toBe(made.certPem);
    expect(s.secrets[1]!.value.validation_context).toEqual({ trusted_ca: { inline_string: user.rootPem } });
  });

  it('a missing file is an error at the Gateway naming it, with where it was looked for', async () => {
    const error = await fill('{mode: SIMPLE, serverCertificate: certs/missing.crt, privateKey: certs/missing.key}', dir, root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    const e = error as CredentialError;
    expect(e.message).toBe(`Gateway secure, server https (port 443): serverCertificate is read from ${join(dir, 'certs', 'missing.crt')}, which does not exist`);
    expect(e.at).toEqual({ file: 'f1.yaml', line: 1, col: 1 });
    expect(e.hint).toContain('put the PEM file there');
  });
});
