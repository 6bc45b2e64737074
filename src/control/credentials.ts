// The certificates Gateway servers that terminate TLS serve (the SDS secrets compile names, see
// compile/names.ts), read from the mesh directory or made:
//   credentialName: NAME  → DIR/credentials/NAME/tls.crt and tls.key; for MUTUAL its ca.crt (or
//                           DIR/credentials/NAME-cacert/ca.crt), as Istio's Kubernetes secret keys;
//   serverCertificate, privateKey, caCertificates → those files (relative to DIR, or absolute);
//   none                  → a local certificate for the server's hosts, signed by the mesh root
//                           and kept in DIR/.mesh/gateway-certs/; trusting DIR/.mesh/ca/root-cert.pem
//                           trusts it (localCertificateNotes says how).
// Served over SDS, as Istio serves gateway credentials: the gateway's Envoy needs no file mounted,
// and an edited mesh gets its new certificate on the next push.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { gatewayProxies, gatewayProxyOf } from '../config/gateway-proxies.ts';
import type { MeshModel, SourceRef } from '../config/model.ts';
import { GATEWAY_PROXY } from '../config/names.ts';
import { gatewaySecretName, parseGatewaySecret, type GatewaySecret } from '../compile/names.ts';
import { serverHostNames } from '../compile/tls.ts';
import type { Resource } from '../envoy/snapshot.ts';
import type { CertificateAuthority, KeyPairPem } from './ca.ts';
import { authorityOf, caDir } from './ca-root.ts';

/** A certificate a Gateway server names that cannot be read; `at` is the Gateway once known (secrets.ts). */
export class CredentialError extends Error {
  readonly hint: string;
  at?: SourceRef;
  constructor(message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.hint = hint;
  }
}

/** Where `credentialName: NAME` is read from. */
export function credentialDir(meshDir: string, name: string): string {
  return join(meshDir, 'credentials', name);
}

/** Where the local certificate for a server's hosts is kept. */
export function localCertDir(meshDir: string, hosts: readonly string[]): string {
  const slug = hosts.map((h) => (h === '*' ? 'any' : h.replace(/^\*\./, 'wildcard.'))).join('_').replace(/[^A-Za-z0-9._-]/g, '-');
  return join(meshDir, '.mesh', 'gateway-certs', slug);
}

/** A year: the local certificate of a laptop's gateway outlives any session, under browsers' 398-day cap. */
const LOCAL_CERT_LIFETIME_MS = 365 * 24 * 3600_000;
/** Made anew this long before it expires. */
const RENEW_BEFORE_MS = 30 * 24 * 3600_000;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

export class GatewayCredentials {
  #dir: string;
  #authority: () => Promise<CertificateAuthority>;
  #local = new Map<string, Promise<Resource['value']>>();

  constructor(meshDir: string, authority: () => Promise<CertificateAuthority>) {
    this.#dir = meshDir;
    this.#authority = authority;
  }

  /** Whether a secret name is one of a gateway's. */
  static names(name: string): boolean {
    return parseGatewaySecret(name) !== undefined;
  }

  /** The secret for `name`; an Error with a sentence when a file it needs is missing. */
  async secret(name: string): Promise<Resource> {
    const secret = parseGatewaySecret(name);
    if (!secret) throw new Error(`secret "${name}" is not a gateway credential`);
    return { name, value: { name, ...(await this.#value(secret)) } };
  }

  async #value(secret: GatewaySecret): Promise<Resource['value']> {
    switch (secret.kind) {
      case 'credential': {
        const dir = credentialDir(this.#dir, secret.name);
        const what = `Gateway credential '${secret.name}'`;
        if (!secret.ca) return tlsCertificate(await this.#read(join(dir, 'tls.crt'), what), await this.#read(join(dir, 'tls.key'), what));
        const own = join(dir, 'ca.crt');
        const ca = (await exists(own)) ? own : join(credentialDir(this.#dir, `${secret.name}-cacert`), 'ca.crt');
        return validationContext(await this.#read(ca, `${what} (MUTUAL needs the CA that signs client certificates: ca.crt)`));
      }
      case 'file-cert':
        return tlsCertificate(await this.#read(this.#path(secret.cert), 'serverCertificate'), await this.#read(this.#path(secret.key), 'privateKey'));
      case 'file-root':
        return validationContext(await this.#read(this.#path(secret.ca), 'caCertificates'));
      case 'local-cert': {
        const key = secret.hosts.join(',');
        let value = this.#local.get(key);
        if (!value) {
          value = this.#localCert(secret.hosts);
          this.#local.set(key, value);
          value.catch(() => this.#local.delete(key));
        }
        return value;
      }
    }
  }

  #path(file: string): string {
    return isAbsolute(file) ? file : join(this.#dir, file);
  }

  async #read(path: string, what: string): Promise<string> {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CredentialError(`${what} is read from ${path}, which ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`,
        'put the PEM file there (credentialName NAME reads DIR/credentials/NAME/tls.crt, tls.key and, for MUTUAL, ca.crt)', { cause: error });
    }
  }

  /** The kept local certificate while it is good for a month more, else a new one, written beside it. */
  async #localCert(hosts: readonly string[]): Promise<Resource['value']> {
    const dir = localCertDir(this.#dir, hosts);
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    const ca = await this.#authority();
    try {
      const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
      // (A root that expires sooner caps every certificate it signs: those are good until a minute before it.)
      const goodUntil = Math.min(Date.now() + RENEW_BEFORE_MS, ca.rootNotAfter.getTime() - 60_000);
      if (await ca.signed(certPem, goodUntil)) return tlsCertificate(certPem, keyPem);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const made = await ca.issueServer(hosts, new Date(), LOCAL_CERT_LIFETIME_MS);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(keyFile, made.keyPem, { mode: 0o600 });
      await writeFile(certFile, made.certPem, { mode: 0o644 });
    } catch (error) {
      // A mesh directory the control plane cannot write (the Compose stack mounts it read-only): served
      // from memory, still signed by the root users trust.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOENT') throw error;
    }
    return tlsCertificate(made.certPem, made.keyPem);
  }
}

function tlsCertificate(certPem: string, keyPem: string): Resource['value'] {
  return { tls_certificate: { certificate_chain: { inline_string: certPem }, private_key: { inline_string: keyPem } } };
}

function validationContext(caPem: string): Resource['value'] {
  return { validation_context: { trusted_ca: { inline_string: caPem } } };
}

/**
 * What a user runs to trust the local certificates of a mesh's HTTPS servers: they are signed by
 * the mesh root, so trusting the root once trusts every one of them.
 */
export function trustCommands(meshDir: string): string[] {
  const root = join(caDir(meshDir), 'root-cert.pem');
  return [
    `curl --cacert ${root} https://HOST:PORT/`,
    `macOS: security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db ${root}`,
    `Linux: sudo cp ${root} /usr/local/share/ca-certificates/localmesh.crt && sudo update-ca-certificates`,
  ];
}

/** The servers that serve a local certificate: terminating TLS, naming neither a credential nor files. */
function localCertificateServers(model: MeshModel): Array<{ proxy: string; gateway: string; port: number; hosts: string[] }> {
  const proxies = gatewayProxies(model.gateways);
  const out: Array<{ proxy: string; gateway: string; port: number; hosts: string[] }> = [];
  for (const gateway of model.gateways) {
    for (const server of gateway.spec.servers) {
      const tls = server.tls;
      const mode = tls?.mode ?? (server.port.protocol === 'HTTPS' ? 'SIMPLE' : 'PASSTHROUGH');
      if (!tls || (server.port.protocol !== 'HTTPS' && server.port.protocol !== 'TLS')) continue;
      if (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH' || mode === 'ISTIO_MUTUAL') continue;
      if (tls.credentialName !== undefined || tls.serverCertificate !== undefined) continue;
      const proxy = gatewayProxyOf(proxies, gateway.key)?.proxy ?? GATEWAY_PROXY;
      out.push({ proxy, gateway: gateway.key, port: server.port.number, hosts: serverHostNames(server.hosts) });
    }
  }
  return out;
}

/**
 * One line per HTTPS server that serves a local certificate (no credentialName, no files), with how
 * to trust it; none when every server names its own.
 */
export function localCertificateNotes(model: MeshModel, meshDir: string): string[] {
  const lines = localCertificateServers(model).map(({ proxy, gateway, port, hosts }) =>
    `${proxy} port ${port} (Gateway ${gateway}) serves a local certificate for ${hosts.join(', ')}, kept in ${localCertDir(meshDir, hosts)}.`);
  if (lines.length === 0) return [];
  return [...lines, `It is signed by the mesh root ${join(caDir(meshDir), 'root-cert.pem')}; trust that once:`, ...trustCommands(meshDir).map((c) => `  ${c}`)];
}

/**
 * Makes (or keeps) the local certificates of a mesh in DIR/.mesh/gateway-certs/, as the control
 * plane would: for a control plane that cannot write the directory (the Compose stack's).
 */
export async function prepareLocalCertificates(model: MeshModel, meshDir: string, root: () => Promise<KeyPairPem>): Promise<void> {
  const servers = localCertificateServers(model);
  if (servers.length === 0) return;
  const authority = authorityOf(root());
  const credentials = new GatewayCredentials(meshDir, () => authority);
  for (const { hosts } of servers) await credentials.secret(gatewaySecretName({ kind: 'local-cert', hosts }));
}
