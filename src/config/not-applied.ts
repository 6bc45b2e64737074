// Fields localmesh accepts (so Istio's own YAML loads unchanged) but does not act on yet. This
// table is the one place that says so: validation warns from it, and the README's
// "supported / partial / not yet" table is written from it.
import type { KindName } from './kinds.ts';
import type { Path } from './position.ts';
import { forEachPath } from './walk.ts';

export interface NotApplied {
  kind: KindName;
  /** Field path from the document root; `*` matches one segment (a list index), `**` any number. */
  field: string;
  /** What happens instead, in the user's terms. */
  effect: string;
}

export const NOT_APPLIED: readonly NotApplied[] = [
  { kind: 'DestinationRule', field: 'spec.**.tls', effect: 'traffic between sidecars is plain text (no mTLS, no TLS origination)' },
  { kind: 'DestinationRule', field: 'spec.**.loadBalancer.localityLbSetting', effect: 'there is one locality on a laptop' },
  { kind: 'DestinationRule', field: 'spec.**.loadBalancer.warmupDurationSecs', effect: 'new endpoints get full traffic at once' },
  { kind: 'DestinationRule', field: 'spec.**.connectionPool.http.h2UpgradePolicy', effect: 'HTTP/1.1 connections are not upgraded to HTTP/2' },
  { kind: 'DestinationRule', field: 'spec.**.tunnel', effect: 'no tunnel is set up' },
  { kind: 'DestinationRule', field: 'spec.**.proxyProtocol', effect: 'no PROXY protocol header is sent' },
  { kind: 'DestinationRule', field: 'spec.exportTo', effect: 'the rule is visible to the whole mesh' },
  { kind: 'DestinationRule', field: 'spec.workloadSelector', effect: 'the rule applies to every workload' },
  { kind: 'VirtualService', field: 'spec.exportTo', effect: 'the VirtualService is visible to the whole mesh' },
  { kind: 'VirtualService', field: 'spec.http.*.match.*.sourceNamespace', effect: 'the match ignores the source namespace' },
  { kind: 'VirtualService', field: 'spec.tcp.*.match.*.sourceNamespace', effect: 'the match ignores the source namespace' },
  { kind: 'VirtualService', field: 'spec.tcp.*.match.*.destinationSubnets', effect: 'the match ignores the destination address' },
  { kind: 'VirtualService', field: 'spec.http.*.fault.delay.exponentialDelay', effect: 'no exponential delay is injected' },
  { kind: 'VirtualService', field: 'spec.http.*.fault.abort.grpcStatus', effect: 'no gRPC abort is injected' },
  { kind: 'VirtualService', field: 'spec.http.*.fault.abort.http2Error', effect: 'no HTTP/2 error is injected' },
  { kind: 'VirtualService', field: 'spec.http.*.retries.retryRemoteLocalities', effect: 'there is one locality on a laptop' },
  { kind: 'Gateway', field: 'spec.servers.*.tls', effect: 'the server speaks plain text' },
  { kind: 'Gateway', field: 'spec.servers.*.bind', effect: 'the gateway listens on all its addresses' },
  { kind: 'Gateway', field: 'spec.servers.*.defaultEndpoint', effect: 'the setting is ignored' },
];

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
