// Which AuthorizationPolicies and RequestAuthentications apply to a workload, as Istio selects
// them: a policy in the root namespace (istio-system) without a selector applies to every
// workload of the mesh; one in the workload's namespace without a selector to every workload of
// that namespace; one with `selector.matchLabels` to the workloads of its namespace with those
// labels. The ingress gateway is a workload of the root namespace labelled as Istio's own
// (`istio: ingressgateway`), so a policy selecting it there applies to the gateway.
import type { AuthorizationPolicyModel, MeshModel, RequestAuthenticationModel } from './model.ts';
import { ROOT_NAMESPACE } from './mtls.ts';

/** A workload as policies select it: its namespace and its labels. */
export interface Workload {
  namespace: string;
  labels: Record<string, string>;
}

/** The ingress gateway, as Istio's default installation labels it. */
export const GATEWAY_WORKLOAD: Workload = { namespace: ROOT_NAMESPACE, labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' } };

type Scoped = Pick<AuthorizationPolicyModel | RequestAuthenticationModel, 'namespace' | 'spec'>;

export function selects(policy: Scoped, workload: Workload): boolean {
  const selector = policy.spec.selector?.matchLabels;
  // An empty selector selects like none (Istio: a nil or empty label selector).
  if (selector === undefined || Object.keys(selector).length === 0) return policy.namespace === ROOT_NAMESPACE || policy.namespace === workload.namespace;
  if (policy.namespace !== workload.namespace) return false;
  return Object.entries(selector).every(([k, v]) => workload.labels[k] === v);
}

export function authorizationPoliciesFor(model: MeshModel, workload: Workload): AuthorizationPolicyModel[] {
  return (model.authorizationPolicies ?? []).filter((p) => selects(p, workload));
}

export function requestAuthenticationsFor(model: MeshModel, workload: Workload): RequestAuthenticationModel[] {
  return (model.requestAuthentications ?? []).filter((p) => selects(p, workload));
}
