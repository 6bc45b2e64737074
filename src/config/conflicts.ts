// Resources that claim the same thing: two of a kind with one name, two VirtualServices for one
// service in the sidecars, two DestinationRules for one service. The later one is reported and
// points at the first (file order is Istio's precedence order here).
import type { CheckContext } from './context.ts';
import type { SourceDocument } from './load.ts';
import { resolveHost, type SourceRef } from './model.ts';
import { valueAt, type Path } from './position.ts';
import { formatRef } from './report.ts';
import { MESH_GATEWAY } from './resources.ts';
import { dnsLabelProblem, isDnsLabel } from './services.ts';

interface Claim {
  key: string;
  source: SourceDocument;
  path: Path;
}

/** Reports every claim of a key already claimed; returns the documents reported. */
function firstClaims(ctx: CheckContext, claims: readonly Claim[], message: (key: string) => string, hint: string): Set<SourceDocument> {
  const first = new Map<string, SourceRef>();
  const reported = new Set<SourceDocument>();
  for (const { key, source, path } of claims) {
    const at = valueAt(source, path);
    const previous = first.get(key);
    if (!previous) first.set(key, at);
    else {
      ctx.report('error', at, message(key), `the first is at ${formatRef(previous)}; ${hint}`);
      reported.add(source);
    }
  }
  return reported;
}

export function checkConflicts(ctx: CheckContext): void {
  const all = [
    ...ctx.virtualServices.map((l) => ({ kind: 'VirtualService', ...l })),
    ...ctx.destinationRules.map((l) => ({ kind: 'DestinationRule', ...l })),
    ...ctx.gateways.map((l) => ({ kind: 'Gateway', ...l })),
  ];
  for (const { item, source } of all) {
    if (!isDnsLabel(item.namespace)) ctx.report('error', valueAt(source, ['metadata', 'namespace']), dnsLabelProblem('namespace', item.namespace));
  }
  // A second resource with a taken name is reported once, for its name, not again for its host.
  const renamed = firstClaims(ctx,
    all.map(({ kind, item, source }) => ({ key: `${kind} ${item.namespace}/${item.name}`, source, path: ['metadata', 'name'] })),
    (key) => `${key} is defined twice`, 'give one of them another name');

  // Istio merges VirtualServices for the same host only at gateways; sidecars would use just one.
  const sidecarClaims = ctx.virtualServices
    .filter(({ item, source }) => item.gateways.includes(MESH_GATEWAY) && !renamed.has(source))
    .flatMap(({ item, source }) =>
      item.spec.hosts.flatMap((host, i) => {
        const service = resolveHost(ctx.services, host, item.namespace);
        return service ? [{ key: service.fqdn, source, path: ['spec', 'hosts', i] }] : [];
      }),
    );
  firstClaims(ctx, sidecarClaims, (fqdn) => `another VirtualService already routes ${fqdn.split('.')[0]} for the sidecars`,
    'merge the routes into one VirtualService per host');

  // Two rules for one host: which subsets and policies apply would depend on their order.
  firstClaims(ctx,
    ctx.destinationRules.filter(({ source }) => !renamed.has(source)).map(({ item, source }) => ({ key: item.service, source, path: ['spec', 'host'] })),
    (host) => `another DestinationRule already applies to ${host.split('.')[0]}`,
    'merge the subsets and traffic policies into one DestinationRule per host');
}
