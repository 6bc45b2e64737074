// The mesh's certificate authority: an ECDSA P-256 root, and short-lived workload certificates
// signed by it that carry the workload's SPIFFE id as their one URI SAN (as istiod issues them:
// empty subject, digitalSignature + keyEncipherment, serverAuth + clientAuth). Certificates are
// built by @peculiar/x509 on WebCrypto; nothing here touches the disk (ca-root.ts keeps the root).
import 'reflect-metadata'; // @peculiar/x509's dependency injection (tsyringe) needs it loaded first
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Certificates start a minute back, so a clock a little behind still accepts them. */
const BACKDATE_MS = 60_000;

/** A certificate and its private key, PEM. */
export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface WorkloadCertificate extends KeyPairPem {
  spiffeId: string;
  notBefore: Date;
  notAfter: Date;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A new self-signed root (CA:true, keyCertSign, cRLSign), valid `lifetimeMs` from `now`. */
export async function createRoot(now: Date, lifetimeMs: number, org = 'localmesh'): Promise<KeyPairPem> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `O=${org}, CN=localmesh root CA`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + lifetimeMs),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** Signs workload certificates with one root. */
export class CertificateAuthority {
  readonly rootPem: string;
  #root: x509.X509Certificate;
  #key: Promise<CryptoKey>;

  constructor(root: KeyPairPem) {
    this.rootPem = root.certPem;
    this.#root = new x509.X509Certificate(root.certPem);
    this.#key = webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(root.keyPem), ALGORITHM, false, ['sign']) as Promise<CryptoKey>;
  }

  /** A new key and a certificate for `spiffeId`, valid `lifetimeMs` from `now` (never past the root's expiry). */
  async issue(spiffeId: string, now: Date, lifetimeMs: number): Promise<WorkloadCertificate> {
    const keys = await generateKeys();
    const notBefore = new Date(now.getTime() - BACKDATE_MS);
    const notAfter = new Date(Math.min(now.getTime() + lifetimeMs, this.#root.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      subject: '',
      issuer: this.#root.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: await this.#key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(this.#root),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }], true),
      ],
    });
    return { spiffeId, certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey), notBefore, notAfter };
  }

  /**
   * A serving certificate for a gateway's hosts (DNS SANs; `localhost` and 127.0.0.1 stand in for
   * `*`), signed by the root, so a client that trusts the mesh root trusts the gateway.
   */
  async issueServer(hosts: readonly string[], now: Date, lifetimeMs: number): Promise<KeyPairPem & { notAfter: Date }> {
    const keys = await generateKeys();
    const names = [...new Set(hosts.flatMap((h) => (h === '*' ? ['localhost'] : [h])))];
    const notAfter = new Date(Math.min(now.getTime() + lifetimeMs, this.#root.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      subject: `O=localmesh, CN=${names[0] ?? 'localhost'}`,
      issuer: this.#root.subject,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter,
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: await this.#key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(this.#root),
        new x509.SubjectAlternativeNameExtension([...names.map((value) => ({ type: 'dns' as const, value })), { type: 'ip', value: '127.0.0.1' }]),
      ],
    });
    return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey), notAfter };
  }

  /** When the root expires: no certificate it signs outlives it. */
  get rootNotAfter(): Date {
    return this.#root.notAfter;
  }

  /** Whether a certificate was signed by this root and is still valid at `validAt` (ms). */
  async signed(certPem: string, validAt: number): Promise<boolean> {
    const cert = new x509.X509Certificate(certPem);
    if (cert.issuer !== this.#root.subject || cert.notAfter.getTime() <= validAt) return false;
    return cert.verify({ publicKey: this.#root.publicKey, signatureOnly: true });
  }
}
