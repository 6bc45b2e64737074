// Transport sockets for mTLS between sidecars, as Istio writes them: the proxy's certificate
// (SDS `default`) and the mesh's trust bundle (SDS `ROOTCA`) over the ADS stream; clients offer
// Istio's ALPN (`istio-peer-exchange`, `istio`) and SNI `outbound_.PORT_.SUBSET_.HOST`; servers
// require a client certificate signed by the mesh root. PERMISSIVE inbound ports tell mTLS from
// plain text by TLS inspection (transport protocol and ALPN).
import { ADS, typed } from './envoy-json.ts';
import { ROOT_SECRET, WORKLOAD_SECRET } from './names.ts';
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
