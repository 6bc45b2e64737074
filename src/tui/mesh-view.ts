// What the dashboard shows of the mesh files: each VirtualService's HTTP rules (matches, weighted
// destinations, fault) and the services with their versions. Pure: a MeshModel in, plain data out.
import { serviceAccountOf, spiffeId } from '../config/identity.ts';
import { mtlsModeFor } from '../config/mtls.ts';
import { describeFault, faultKind, type FaultKind } from '../config/edit-fault.ts';
import { hostFqdn, type MeshModel } from '../config/model.ts';
import type { HTTPMatchRequest } from '../config/schema/istio.ts';
import type { StringMatch } from '../config/schema/common.ts';

export interface Destination {
  /** How `mesh weight` names it: the subset, else the host. */
  label: string;
  /** The FQDN of the destination host, and its subset ('' for none): as /traffic names clusters. */
  host: string;
  subset: string;
  /** As written; Istio's default when not (100 for a lone destination, else 0). */
  weight: number;
}

/** One HTTP rule of a VirtualService. */
export interface RouteInfo {
  /** `NAMESPACE/VS#INDEX`. */
  key: string;
  vs: string;
  namespace: string;
  index: number;
  /** Translated from a Gateway API HTTPRoute (`index` is then its first route in the model's spec.http). */
  from?: 'HTTPRoute';
  /** The rule's name, else `VS http[INDEX]` (`HTTPRoute NAME rules[RULE]`). */
  name: string;
  /** Where the VirtualService is written. */
  file: string;
  line: number;
  match: string;
  destinations: Destination[];
  fault?: FaultKind;
  faultText?: string;
}

export interface ServiceInfo {
  name: string;
  fqdn: string;
  versions: string[];
  /** Per version: its SPIFFE identity and the mTLS its sidecar serves on its first port (undefined: plain text). */
  security: Record<string, { identity: string; mtls?: 'STRICT' | 'PERMISSIVE' | 'DISABLE' }>;
}

export interface MeshView {
  name: string;
  routes: RouteInfo[];
  services: ServiceInfo[];
}

export function meshView(model: MeshModel): MeshView {
  // An HTTPRoute's rule is one row, however many parents (a VirtualService each) and matches it has.
  const rules = new Set<string>();
  const routes = model.virtualServices.flatMap((vs) =>
    (vs.spec.http ?? []).flatMap((http, index): RouteInfo[] => {
      const destinations = http.route ?? [];
      const kind = faultKind(http.fault);
      const rule = vs.from?.rules[index];
      if (rule !== undefined) {
        const place = `${vs.namespace}/${vs.name}#${rule}`;
        if (rules.has(place)) return [];
        rules.add(place);
      }
      return [{
        key: rule !== undefined ? `HTTPRoute ${vs.namespace}/${vs.name}#${rule}` : `${vs.namespace}/${vs.name}#${index}`,
        vs: vs.name,
        namespace: vs.namespace,
        index,
        ...(rule !== undefined ? { from: 'HTTPRoute' as const } : {}),
        name: rule !== undefined ? `HTTPRoute ${vs.name} rules[${rule}]` : http.name ?? `${vs.name} http[${index}]`,
        file: vs.source.file,
        line: vs.source.line,
        match: describeMatches(http.match),
        destinations: destinations.map((d) => ({
          label: d.destination.subset ?? d.destination.host,
          host: hostFqdn(d.destination.host, vs.namespace),
          subset: d.destination.subset ?? '',
          weight: d.weight ?? (destinations.length === 1 ? 100 : 0),
        })),
        ...(kind ? { fault: kind, faultText: describeFault(http.fault) } : {}),
      }];
    }),
  );
  const services = model.services.map((s) => ({
    name: s.name,
    fqdn: s.fqdn,
    versions: s.versions.map((v) => v.name),
    security: Object.fromEntries(
      s.versions.map((v) => {
        const mtls = s.ports[0] ? mtlsModeFor(model, s, v, s.ports[0]) : undefined;
        return [v.name, { identity: spiffeId(s.namespace, serviceAccountOf(s, v)), ...(mtls ? { mtls } : {}) }];
      }),
    ),
  }));
  return { name: model.name, routes, services };
}

function describeString(m: StringMatch): string {
  if (m.exact !== undefined) return `=${m.exact}`;
  if (m.prefix !== undefined) return ` prefix ${m.prefix}`;
  if (m.regex !== undefined) return ` ~${m.regex}`;
  return ' present';
}

/** `uri prefix /api, end-user=jason` (alternatives joined by ` or `); `all requests` without matches. */
export function describeMatches(matches: readonly HTTPMatchRequest[] | undefined): string {
  if (!matches?.length) return 'all requests';
  return matches
    .map((m) => {
      const parts: string[] = [];
      if (m.uri) parts.push(`uri${describeString(m.uri)}`);
      if (m.method) parts.push(`method${describeString(m.method)}`);
      if (m.authority) parts.push(`authority${describeString(m.authority)}`);
      for (const [name, value] of Object.entries(m.headers ?? {})) parts.push(`${name}${describeString(value)}`);
      for (const [name, value] of Object.entries(m.queryParams ?? {})) parts.push(`?${name}${describeString(value)}`);
      for (const name of Object.keys(m.withoutHeaders ?? {})) parts.push(`no ${name}`);
      if (m.port !== undefined) parts.push(`port ${m.port}`);
      if (m.sourceLabels) parts.push(`from ${Object.entries(m.sourceLabels).map(([k, v]) => `${k}=${v}`).join(',')}`);
      return parts.join(', ') || 'all requests';
    })
    .join(' or ');
}
