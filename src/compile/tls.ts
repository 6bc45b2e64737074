// Transport sockets for mTLS between sidecars, as Istio writes them: the proxy's certificate
// (SDS `default`) and the mesh's trust bundle (SDS `ROOTCA`) over the ADS stream; clients offer
// Istio's ALPN (`istio-peer-exchange`, `istio`) and SNI `outbound_.PORT_.SUBSET_.HOST`; servers
// require a client certificate signed by the mesh root. PERMISSIVE inbound ports tell mTLS from
// plain text by TLS inspection (transport protocol and ALPN). Gateway servers that terminate TLS
// name their certificate and CA as SDS secrets too (names.ts), filled by the control plane.
import { ADS, typed } from './envoy-json.ts';
import { gatewaySecretName, ROOT_SECRET, WORKLOAD_SECRET } from './names.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';

export const ISTIO_ALPN = ['istio-peer-exchange', 'istio'];

export const TLS_INSPECTOR: EnvoyJson = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: typed('extensions.filters.listener.tls_inspector.v3.TlsInspector'),
};

function commonTlsContext(alpn?: string[]): EnvoyJson {
  return {
    ...(alpn ? { alpn_protocols: alpn } : {}),
    tls_certificate_sds_secret_configs: [{ name: WORKLOAD_SECRET, sds_config: ADS }],
    combined_validation_context: { default_validation_context: {}, validation_context_sds_secret_config: { name: ROOT_SECRET, sds_config: ADS } },
  };
}

/** Istio's SNI for a cluster: `outbound_.PORT_.SUBSET_.HOST`. */
export function istioSni(port: number, subset: string | undefined, host: string): string {
  return `outbound_.${port}_.${subset ?? ''}_.${host}`;
}

/** A client's mTLS to another sidecar. */
export function upstreamMtls(sni: string): EnvoyJson {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed('extensions.transport_sockets.tls.v3.UpstreamTlsContext', { common_tls_context: commonTlsContext(ISTIO_ALPN), sni }),
  };
}

/** A sidecar's inbound mTLS: only clients with a certificate from the mesh root get through. */
export function downstreamMtls(): EnvoyJson {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed('extensions.transport_sockets.tls.v3.DownstreamTlsContext', { require_client_certificate: true, common_tls_context: commonTlsContext() }),
  };
}

/** A Gateway server's `tls`, the fields that decide what it serves. */
export interface GatewayTls {
  mode?: string;
  credentialName?: string;
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
}

/** The host part of Gateway server hosts (`ns/host` → `host`), sorted and unique. */
export function serverHostNames(hosts: readonly string[]): string[] {
  return [...new Set(hosts.map((h) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h)))].sort();
}

/**
 * The secrets a terminating server serves: its certificate (a credential, files, or else a local
 * one for its hosts) and, for MUTUAL and OPTIONAL_MUTUAL, the CA client certificates must chain to
 * (`caCertificates`, the credential's `ca.crt`, else the mesh root). ISTIO_MUTUAL: the mesh's own.
 */
export function gatewayTlsSecrets(tls: GatewayTls, hosts: readonly string[]): { certificate: string; ca?: string } {
  if (tls.mode === 'ISTIO_MUTUAL') return { certificate: WORKLOAD_SECRET, ca: ROOT_SECRET };
  const certificate = tls.credentialName !== undefined
    ? gatewaySecretName({ kind: 'credential', name: tls.credentialName, ca: false })
    : tls.serverCertificate !== undefined && tls.privateKey !== undefined
      ? gatewaySecretName({ kind: 'file-cert', cert: tls.serverCertificate, key: tls.privateKey })
      : gatewaySecretName({ kind: 'local-cert', hosts: serverHostNames(hosts) });
  if (tls.mode !== 'MUTUAL' && tls.mode !== 'OPTIONAL_MUTUAL') return { certificate };
  const ca = tls.caCertificates !== undefined
    ? gatewaySecretName({ kind: 'file-root', ca: tls.caCertificates })
    : tls.credentialName !== undefined ? gatewaySecretName({ kind: 'credential', name: tls.credentialName, ca: true }) : ROOT_SECRET;
  return { certificate, ca };
}

/** A Gateway server's TLS termination, as Istio's gateways offer it (ALPN h2 and http/1.1 for HTTPS). */
export function gatewayDownstreamTls(tls: GatewayTls, hosts: readonly string[], http: boolean): EnvoyJson {
  const { certificate, ca } = gatewayTlsSecrets(tls, hosts);
  const requireClient = tls.mode === 'MUTUAL' || tls.mode === 'ISTIO_MUTUAL';
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed('extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
      ...(requireClient ? { require_client_certificate: true } : {}),
      common_tls_context: {
        ...(http ? { alpn_protocols: ['h2', 'http/1.1'] } : {}),
        tls_certificate_sds_secret_configs: [{ name: certificate, sds_config: ADS }],
        ...(ca ? { validation_context_sds_secret_config: { name: ca, sds_config: ADS } } : {}),
      },
    }),
  };
}
