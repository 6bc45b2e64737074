// Fields localmesh accepts (so Istio's own YAML loads unchanged) but does not act on yet, and
// the few that mean nothing on a laptop. Validation warns from the first table, and the README's
// "supported / partial / not yet" table is written from it.
//
// What the compiler applies is declared beside the code that applies it (`APPLIED` in
// src/compile/*.ts, gathered in src/compile/index.ts); config cannot import the compiler, so
// test/unit/compile/field-support.test.ts derives the complement instead: every field the
// schemas accept is applied by the compiler, listed here, or an error in validation — exactly
// one of them. A field the compiler starts to apply fails that test until its warning goes.
import type { KindName } from './kinds.ts';
import type { Path } from './position.ts';
import { forEachPath } from './walk.ts';

/**
 * Fields of documents by kind, as patterns: a path from the document root where `*` matches one
 * segment (a list index, a map key) and `**` any number; a pattern covers the fields below it.
 */
export type FieldPatterns = Partial<Record<KindName, readonly string[]>>;

export interface NotApplied {
  kind: KindName;
  /** Field path from the document root; `*` matches one segment (a list index), `**` any number. */
  field: string;
  /** What happens instead, in the user's terms. */
  effect: string;
}

export const NOT_APPLIED: readonly NotApplied[] = [
  { kind: 'DestinationRule', field: 'spec.**.tls.clientCertificate', effect: 'TLS origination sends no client certificate' },
  { kind: 'DestinationRule', field: 'spec.**.tls.privateKey', effect: 'TLS origination sends no client certificate' },
  { kind: 'DestinationRule', field: 'spec.**.tls.credentialName', effect: 'TLS origination sends no client certificate and checks the server against the system CAs' },
  { kind: 'DestinationRule', field: 'spec.**.tls.caCrl', effect: 'no certificate revocation list is checked' },
  { kind: 'DestinationRule', field: 'spec.**.loadBalancer.localityLbSetting', effect: 'there is one locality on a laptop' },
  { kind: 'DestinationRule', field: 'spec.**.tunnel', effect: 'no tunnel is set up' },
  { kind: 'DestinationRule', field: 'spec.**.proxyProtocol', effect: 'no PROXY protocol header is sent' },
  { kind: 'DestinationRule', field: 'spec.workloadSelector', effect: 'the rule applies to every workload' },
  { kind: 'VirtualService', field: 'spec.tcp.*.match.*.destinationSubnets', effect: 'the match ignores the destination address' },
  { kind: 'VirtualService', field: 'spec.http.*.retries.retryRemoteLocalities', effect: 'there is one locality on a laptop' },
  { kind: 'VirtualService', field: 'spec.http.*.redirect.derivePort', effect: 'the redirect keeps the port given, or the default one' },
  { kind: 'Gateway', field: 'spec.servers.*.tls.minProtocolVersion', effect: "Envoy's default TLS versions are offered" },
  { kind: 'Gateway', field: 'spec.servers.*.tls.maxProtocolVersion', effect: "Envoy's default TLS versions are offered" },
  { kind: 'Gateway', field: 'spec.servers.*.tls.cipherSuites', effect: "Envoy's default cipher suites are offered" },
  { kind: 'Gateway', field: 'spec.servers.*.tls.subjectAltNames', effect: 'client certificates are checked against the CA only' },
  { kind: 'Gateway', field: 'spec.servers.*.tls.verifyCertificateSpki', effect: 'client certificates are checked against the CA only' },
  { kind: 'Gateway', field: 'spec.servers.*.tls.verifyCertificateHash', effect: 'client certificates are checked against the CA only' },
  { kind: 'Gateway', field: 'spec.servers.*.tls.credentialNames', effect: 'the server serves credentialName (or its files) only' },
  { kind: 'Gateway', field: 'spec.servers.*.tls.tlsCertificates', effect: 'the server serves credentialName (or its files) only' },
  { kind: 'Gateway', field: 'spec.servers.*.tls.caCrl', effect: 'no revocation list is checked' },
  { kind: 'VirtualService', field: 'spec.tls.*.match.*.destinationSubnets', effect: 'the match ignores the destination address' },
  { kind: 'ServiceEntry', field: 'spec.endpoints.*.locality', effect: 'there is one locality on a laptop' },
  { kind: 'ServiceEntry', field: 'spec.endpoints.*.serviceAccount', effect: "the endpoint's identity is not checked" },
  { kind: 'WorkloadEntry', field: 'spec.locality', effect: 'there is one locality on a laptop' },
  { kind: 'WorkloadEntry', field: 'spec.serviceAccount', effect: "the endpoint's identity is not checked" },
  { kind: 'Gateway', field: 'spec.servers.*.bind', effect: 'the gateway listens on all its addresses' },
  { kind: 'Gateway', field: 'spec.servers.*.defaultEndpoint', effect: 'the setting is ignored' },
];

/** Fields accepted without a warning because on a laptop there is nothing to apply. */
export const NOTHING_TO_APPLY: FieldPatterns = {
  Gateway: ['spec.servers.*.name', 'spec.servers.*.port.name'],
};

/** Whether a field pattern (see FieldPatterns) matches a path exactly. */
export function fieldMatches(pattern: string, path: Path): boolean {
  return matches(pattern.split('.'), path);
}

function matches(pattern: readonly string[], path: Path): boolean {
  if (pattern.length === 0) return path.length === 0;
  const [head, ...rest] = pattern;
  if (head === '**') return path.some((_, i) => matches(rest, path.slice(i))) || matches(rest, path.slice(path.length));
  if (path.length === 0) return false;
  return (head === '*' || head === String(path[0])) && matches(rest, path.slice(1));
}

/** The table's patterns by their last segment (always a field name): most paths need no match at all. */
const BY_FIELD = new Map<string, { entry: NotApplied; pattern: string[] }[]>();
for (const entry of NOT_APPLIED) {
  const pattern = entry.field.split('.');
  const last = pattern.at(-1)!;
  BY_FIELD.set(last, [...(BY_FIELD.get(last) ?? []), { entry, pattern }]);
}

/** The fields of a document of `kind` that are set but not applied, with the table's entry for each. */
export function notAppliedFields(kind: KindName, document: unknown): { path: Path; entry: NotApplied }[] {
  const found: { path: Path; entry: NotApplied }[] = [];
  forEachPath(document, (path) => {
    const candidates = BY_FIELD.get(String(path.at(-1)));
    const hit = candidates?.find(({ entry, pattern }) => entry.kind === kind && matches(pattern, path));
    if (hit) found.push({ path: [...path], entry: hit.entry });
  });
  return found;
}
