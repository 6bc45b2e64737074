// Several DestinationRules for one host as the one rule Istio applies (pilot/pkg/model
// destination_rule.go, mergeDestinationRule): in precedence order (file order here, Istio's is
// creation time), the subsets of every rule are concatenated, a subset whose name is taken
// already being dropped, and the top-level traffic policy is the first rule's that has one.
// Rules of one host in different namespaces are not merged (see conflicts.ts).
import type { DestinationRuleModel } from './model.ts';

/** The rules of one host, in precedence order, merged; undefined for none. */
export function mergeDestinationRules(rules: readonly DestinationRuleModel[]): DestinationRuleModel | undefined {
  const [first, ...rest] = rules;
  if (!first || rest.length === 0) return first;
  const subsets = [...(first.spec.subsets ?? [])];
  let trafficPolicy = first.spec.trafficPolicy;
  for (const rule of rest) {
    for (const subset of rule.spec.subsets ?? []) if (!subsets.some((s) => s.name === subset.name)) subsets.push(subset);
    trafficPolicy ??= rule.spec.trafficPolicy;
  }
  return { ...first, spec: { ...first.spec, subsets, ...(trafficPolicy ? { trafficPolicy } : {}) } };
}

/** The rules by the service they are for (its fqdn), in precedence order. */
export function rulesByService<T extends { service: string }>(rules: readonly T[]): Map<string, T[]> {
  const by = new Map<string, T[]>();
  for (const rule of rules) by.set(rule.service, [...(by.get(rule.service) ?? []), rule]);
  return by;
}
