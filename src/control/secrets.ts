// The secrets each proxy's snapshot names, served over SDS: `default`, the proxy's own workload
// certificate (its SPIFFE id as URI SAN, from the mesh CA), and `ROOTCA`, the trust bundle, and the
// certificates of Gateway servers that terminate TLS (credentials.ts). A
// certificate is reused until half its lifetime has passed, then issued anew on the next fill
// (the control plane fills again when `rotationDue`, so Envoy gets the new one over SDS). The root is read or made only when a snapshot names a
// secret, so a mesh without mTLS never writes DIR/.mesh/ca.
import type { MeshModel } from '../config/model.ts';
import { serviceAccountOf, spiffeId } from '../config/identity.ts';
import { gatewayProxies } from '../config/gateway-proxies.ts';
import { isGatewayProxy } from '../config/names.ts';
import { parseDuration } from '../config/duration.ts';
import { ROOT_SECRET, WORKLOAD_SECRET } from '../compile/names.ts';
import type { ProxySnapshot, Resource } from '../envoy/snapshot.ts';
import { referencedSecrets } from '../xds/cache.ts';
import type { CertificateAuthority, KeyPairPem, WorkloadCertificate } from './ca.ts';
import { authorityOf } from './ca-root.ts';
import { CredentialError, GatewayCredentials } from './credentials.ts';
import { gatewayTlsSecrets } from '../compile/tls.ts';

/** Istio's default workload certificate lifetime. */
export const DEFAULT_CERT_LIFETIME_MS = 24 * 3600_000;

export interface SecretsOptions {
  /** The mesh's root, read or made on first use (ca-root.ts). */
  root(): Promise<KeyPairPem>;
  /** The mesh directory, where Gateway servers' certificates are read and local ones kept (credentials.ts). */
  dir?: string;
  lifetimeMs?: number;
  now?: () => Date;
}

/** The SPIFFE id a proxy's certificate carries. */
export function proxySpiffeId(model: MeshModel, snapshot: Pick<ProxySnapshot, 'proxy' | 'service' | 'version'>): string {
  if (isGatewayProxy(snapshot.proxy)) {
    const gateway = gatewayProxies(model.gateways).find((g) => g.proxy === snapshot.proxy);
    if (gateway) return spiffeId(gateway.namespace, gateway.serviceAccount);
  }
  const service = model.services.find((s) => s.name === snapshot.service && s.versions.some((v) => v.proxy === snapshot.proxy));
  const version = service?.versions.find((v) => v.proxy === snapshot.proxy);
  if (!service || !version) throw new Error(`proxy ${snapshot.proxy} is no workload of the mesh`);
  return spiffeId(service.namespace, serviceAccountOf(service, version));
}

export class WorkloadSecrets {
  #options: SecretsOptions;
  #ca?: Promise<CertificateAuthority>;
  #issued = new Map<string, Promise<WorkloadCertificate>>();
  #bundle?: Resource;
  #lifetimeMs = DEFAULT_CERT_LIFETIME_MS;
  /** When each certificate issued is due for rotation (half its lifetime), by SPIFFE id. */
  #due = new Map<string, number>();

  #credentials?: GatewayCredentials;

  constructor(options: SecretsOptions) {
    this.#options = options;
    if (options.dir !== undefined) this.#credentials = new GatewayCredentials(options.dir, () => this.#authority());
  }

  /**
   * The snapshots with the secrets they name; a snapshot naming none is returned as it is. The
   * mesh's `settings.certificates.lifetime` wins over the option.
   */
  async fill(model: MeshModel, snapshots: readonly ProxySnapshot[]): Promise<ProxySnapshot[]> {
    const declared = model.settings.certificates?.lifetime;
    this.#lifetimeMs = (declared !== undefined ? parseDuration(declared) : undefined) ?? this.#options.lifetimeMs ?? DEFAULT_CERT_LIFETIME_MS;
    return Promise.all(
      snapshots.map(async (snapshot) => {
        const names = referencedSecrets(snapshot);
        if (names.size === 0) return snapshot;
        const secrets: Resource[] = [];
        for (const name of [...names].sort()) {
          if (name === ROOT_SECRET) secrets.push(await this.#trustBundle());
          else if (name === WORKLOAD_SECRET) secrets.push(await this.#workload(proxySpiffeId(model, snapshot)));
          else if (this.#credentials && GatewayCredentials.names(name)) secrets.push(await this.#credentials.secret(name).catch((e: unknown) => locate(e, model, name)));
          else throw new Error(`proxy ${snapshot.proxy} names secret "${name}", which the mesh CA does not issue`);
        }
        return { ...snapshot, secrets };
      }),
    );
  }

  /** Whether a certificate served has passed half its lifetime: the next fill issues it anew. */
  rotationDue(now = Date.now()): boolean {
    return [...this.#due.values()].some((at) => now >= at);
  }

  /** The root certificate served as `ROOTCA`. */
  async rootPem(): Promise<string> {
    return (await this.#authority()).rootPem;
  }

  #authority(): Promise<CertificateAuthority> {
    this.#ca ??= authorityOf(this.#options.root());
    return this.#ca;
  }

  async #trustBundle(): Promise<Resource> {
    const pem = await this.rootPem();
    this.#bundle ??= { name: ROOT_SECRET, value: { name: ROOT_SECRET, validation_context: { trusted_ca: { inline_string: pem } } } };
    return this.#bundle;
  }

  async #workload(id: string): Promise<Resource> {
    const now = (this.#options.now ?? (() => new Date()))();
    const lifetime = this.#lifetimeMs;
    let cert = this.#issued.get(id);
    const current = cert && (await cert);
    const due = this.#due.get(id);
    if (!current || due === undefined || now.getTime() >= due || current.notAfter.getTime() > now.getTime() + lifetime) {
      cert = this.#authority().then((ca) => ca.issue(id, now, lifetime));
      this.#issued.set(id, cert);
      this.#due.set(id, now.getTime() + lifetime / 2);
    }
    const { certPem, keyPem } = await cert!;
    return {
      name: WORKLOAD_SECRET,
      value: { name: WORKLOAD_SECRET, tls_certificate: { certificate_chain: { inline_string: certPem }, private_key: { inline_string: keyPem } } },
    };
  }
}

/** A credential that cannot be read, told at the Gateway whose server names it. */
function locate(error: unknown, model: MeshModel, name: string): never {
  if (error instanceof CredentialError) {
    for (const gateway of model.gateways) {
      const server = gateway.spec.servers.find((s) => s.tls && Object.values(gatewayTlsSecrets(s.tls, s.hosts)).includes(name));
      if (server) {
        error.message = `Gateway ${gateway.name}, server ${server.port.name} (port ${server.port.number}): ${error.message}`;
        error.at = gateway.source;
        break;
      }
    }
  }
  throw error;
}

/** A secret as the API shows it: the private key left out. */
export function withoutPrivateKey(resource: Resource): Resource {
  const tls = resource.value.tls_certificate as { private_key?: unknown } | undefined;
  if (!tls?.private_key) return resource;
  const { private_key: _key, ...rest } = tls;
  return { ...resource, value: { ...resource.value, tls_certificate: { ...rest, private_key: { inline_string: '[redacted]' } } } };
}
