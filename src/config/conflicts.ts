// Resources that claim the same thing: two of a kind with one name, two VirtualServices for one
// service in the sidecars (Istio's analyzer: IST0109), DestinationRules for one service that
// Istio would not merge or would merge by dropping a subset. The later one is reported and points
// at the first (file order is Istio's precedence order here).
import type { CheckContext } from './context.ts';
import { rulesByService } from './destination-rule-merge.ts';
import type { SourceDocument } from './load.ts';
import { resolveHost, type SourceRef } from './model.ts';
import { valueAt, type Path } from './position.ts';
import { formatRef } from './report.ts';
import { MESH_GATEWAY } from './resources.ts';
import { dnsLabelProblem, isDnsLabel } from './services.ts';
import { IST } from './analyze/codes.ts';

interface Claim {
  key: string;
  source: SourceDocument;
  path: Path;
}

/** Reports every claim of a key already claimed; returns the documents reported. */
function firstClaims(ctx: CheckContext, claims: readonly Claim[], message: (key: string) => string, hint: string, code?: string): Set<SourceDocument> {
  const first = new Map<string, SourceRef>();
  const reported = new Set<SourceDocument>();
  for (const { key, source, path } of claims) {
    const at = valueAt(source, path);
    const previous = first.get(key);
    if (!previous) first.set(key, at);
    else {
      ctx.report('error', at, message(key), `the first is at ${formatRef(previous)}; ${hint}`, code);
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
    'merge the routes into one VirtualService per host', IST.ConflictingMeshGatewayVirtualServiceHosts);

  checkMergedRules(ctx, ctx.destinationRules.filter(({ source }) => !renamed.has(source)));
}

/**
 * Rules for one host are merged as Istio merges them (destination-rule-merge.ts): a subset a
 * later rule defines again is dropped, so it is reported. Rules in another namespace than the
 * first one's are not merged: Istio picks one per client namespace, which localmesh does not.
 */
function checkMergedRules(ctx: CheckContext, rules: CheckContext['destinationRules']): void {
  for (const group of rulesByService(rules.map((r) => ({ ...r, service: r.item.service }))).values()) {
    const namespace = group[0]!.item.namespace;
    const subsets = new Map<string, { rule: string; at: SourceRef }>();
    for (const { item, source } of group) {
      if (item.namespace !== namespace) {
        ctx.report('error', valueAt(source, ['spec', 'host']),
          `a DestinationRule in namespace ${namespace} already applies to ${item.service.split('.')[0]}; Istio would choose between them by the namespace of each client, which localmesh does not do yet`,
          `the first is at ${formatRef(valueAt(group[0]!.source, ['spec', 'host']))}; keep the rules of one host in one namespace`);
        continue;
      }
      item.spec.subsets?.forEach((subset, i) => {
        const at = valueAt(source, ['spec', 'subsets', i, 'name']);
        const first = subsets.get(subset.name);
        if (!first) subsets.set(subset.name, { rule: item.name, at });
        else if (first.rule !== item.name) {
          ctx.report('warning', at, `subset '${subset.name}' is defined already by DestinationRule ${first.rule} for ${item.service.split('.')[0]}; Istio keeps that one and ignores this one`,
            `the first is at ${formatRef(first.at)}; give this subset another name, or remove it`);
        }
      });
    }
  }
}
