// Resources that claim the same thing: two of a kind with one name, two VirtualServices for one
// service that sidecars of one namespace would both see (Istio's analyzer: IST0109),
// DestinationRules for one service in one namespace that Istio would merge by dropping a subset. The later one is reported and points
// at the first (file order is Istio's precedence order here).
import type { CheckContext } from './context.ts';
import { rulesByService } from './destination-rule-merge.ts';
import type { SourceDocument } from './load.ts';
import { resolveHost, type SourceRef } from './model.ts';
import { valueAt, type Path } from './position.ts';
import { formatRef } from './report.ts';
import { exportScope, scopesOverlap, type ExportScope } from './export-to.ts';
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
  // Two conflict when some namespace sees both (exportTo).
  const claims = new Map<string, { at: SourceRef; scope: ExportScope }[]>();
  for (const { item, source } of ctx.virtualServices) {
    if (!item.gateways.includes(MESH_GATEWAY) || renamed.has(source)) continue;
    const scope = exportScope(item.spec.exportTo, item.namespace);
    item.spec.hosts.forEach((host, i) => {
      const service = resolveHost(ctx.services, host, item.namespace);
      if (!service) return;
      const earlier = claims.get(service.fqdn) ?? [];
      const first = earlier.find((c) => scopesOverlap(c.scope, scope));
      if (first) {
        ctx.report('error', valueAt(source, ['spec', 'hosts', i]), `another VirtualService already routes ${service.name} for the sidecars`,
          `the first is at ${formatRef(first.at)}; merge the routes into one VirtualService per host (or export each to other namespaces with exportTo)`, IST.ConflictingMeshGatewayVirtualServiceHosts);
      } else claims.set(service.fqdn, [...earlier, { at: valueAt(source, ['spec', 'hosts', i]), scope }]);
    });
  }

  checkMergedRules(ctx, ctx.destinationRules.filter(({ source }) => !renamed.has(source)));
}

/**
 * Rules for one host in one namespace are merged as Istio merges them (destination-rule-merge.ts):
 * a subset a later rule defines again is dropped, so it is reported. Rules of other namespaces are
 * not merged: each client takes those of one namespace (config/namespace-view.ts).
 */
function checkMergedRules(ctx: CheckContext, rules: CheckContext['destinationRules']): void {
  for (const group of rulesByService(rules.map((r) => ({ ...r, service: `${r.item.namespace} ${r.item.service}` }))).values()) {
    const subsets = new Map<string, { rule: string; at: SourceRef }>();
    for (const { item, source } of group) {
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
