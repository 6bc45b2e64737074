// What a DestinationRule means, checked against the mesh: its host is a service, its subsets have
// distinct names and select versions, and each load balancer picks one hash key.
import type { CheckContext } from './context.ts';
import { unknownHost } from './hosts.ts';
import type { DestinationRuleModel } from './model.ts';
import { formatPath, keyAt, valueAt } from './position.ts';
import { formatRef } from './report.ts';
import type { Located } from './resources.ts';
import { DestinationRule, LoadBalancerSettings } from './schema/istio.ts';
import { walkSchema } from './walk.ts';

const HASH_KEYS = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const;
const HASH_ALGORITHMS = ['ringHash', 'maglev', 'minimumRingSize'] as const;

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
}

function checkDestinationRule({ item: rule, source }: Located<DestinationRuleModel>, ctx: CheckContext): void {
  const service = ctx.services.find((s) => s.fqdn === rule.service);
  if (!service) {
    const { message, hint } = unknownHost('DestinationRule host', rule.spec.host, rule.namespace, ctx.services);
    ctx.report('error', valueAt(source, ['spec', 'host']), message, hint);
  }
  const seen = new Map<string, number>();
  rule.spec.subsets?.forEach((subset, i) => {
    const at = valueAt(source, ['spec', 'subsets', i, 'name']);
    const first = seen.get(subset.name);
    if (first !== undefined) {
      ctx.report('error', at, `subset '${subset.name}' is defined twice in DestinationRule ${rule.name}`,
        `the first is at ${formatRef(valueAt(source, ['spec', 'subsets', first, 'name']))}`);
      return;
    }
    seen.set(subset.name, i);
    const labels = subset.labels ?? {};
    const selects = (versionLabels: Record<string, string>) => Object.entries(labels).every(([k, v]) => versionLabels[k] === v);
    if (service && !service.versions.some((v) => selects(v.labels))) {
      ctx.report('warning', at, `subset '${subset.name}' selects no version of ${service.name} (labels ${labelText(labels)}), so traffic sent to it fails`,
        `versions of ${service.name}: ${service.versions.map((v) => `${v.name} (${labelText(v.labels)})`).join('; ')}`);
    }
  });
  walkSchema(DestinationRule, { spec: rule.spec }, (schema, value, path) => {
    if (schema !== LoadBalancerSettings) return;
    const hash = (value as LoadBalancerSettings).consistentHash;
    if (!hash) return;
    for (const group of [HASH_KEYS, HASH_ALGORITHMS]) {
      const set = group.filter((k) => hash[k] !== undefined);
      if (set.length > 1) {
        ctx.report('error', keyAt(source, [...path, 'consistentHash', set[1]!]),
          `${formatPath([...path, 'consistentHash'])} sets ${set.join(' and ')}; it takes only one of ${group.join(', ')}`);
      }
    }
  });
}

export function checkDestinationRules(ctx: CheckContext): void {
  for (const located of ctx.destinationRules) checkDestinationRule(located, ctx);
}
