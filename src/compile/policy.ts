// The DestinationRule traffic policy in force for one cluster (service, port, subset), with
// Istio's merge rules: port-level settings replace the rule's top-level policy wholesale; a
// subset's policy (its own port level first) replaces the fields it sets.
import type { DestinationRuleModel } from '../config/model.ts';
import type { TrafficPolicy } from '../config/schema/istio.ts';
import type { FieldPatterns } from '../config/not-applied.ts';

/** The Istio fields this merge applies: which port a port-level policy is for. */
export const APPLIED_BY_POLICY: FieldPatterns = { DestinationRule: ['spec.**.portLevelSettings.*.port'] };

type Policy = Omit<TrafficPolicy, 'portLevelSettings'>;

function atPort(policy: TrafficPolicy | undefined, port: number): { policy?: Policy; portLevel: boolean } {
  if (!policy) return { portLevel: false };
  const level = policy.portLevelSettings?.find((p) => p.port?.number === port);
  if (level) {
    const { port: _, ...rest } = level;
    return { policy: rest, portLevel: true };
  }
  const { portLevelSettings: _, ...rest } = policy;
  return { policy: rest, portLevel: false };
}

const REPLACED_BY_PORT_LEVEL = ['connectionPool', 'outlierDetection', 'loadBalancer', 'tls'] as const;

export function trafficPolicy(rule: DestinationRuleModel | undefined, port: number, subset?: string): Policy | undefined {
  if (!rule) return undefined;
  const top = atPort(rule.spec.trafficPolicy, port).policy;
  const subsetPolicy = subset ? rule.spec.subsets?.find((s) => s.name === subset)?.trafficPolicy : undefined;
  const sub = atPort(subsetPolicy, port);
  if (!sub.policy) return top;
  if (!top) return sub.policy;
  const merged: Policy = { ...top };
  for (const key of Object.keys(sub.policy) as (keyof Policy)[]) {
    if (sub.policy[key] !== undefined) (merged as Record<string, unknown>)[key] = sub.policy[key];
  }
  if (sub.portLevel) for (const key of REPLACED_BY_PORT_LEVEL) merged[key] = sub.policy[key] as never;
  return merged;
}
