// The filters that decide who may call a workload port, in Istio's order: jwt_authn
// (RequestAuthentication) first, so the RBAC filters after it (AuthorizationPolicy: AUDIT, DENY,
// ALLOW) can match the verified token; on a tcp port the network RBAC filters only. None when
// no policy applies: the chain is as before.
import { authorizationPoliciesFor, requestAuthenticationsFor, type Workload } from '../config/authz-scope.ts';
import type { MeshModel } from '../config/model.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';
import { jwtFilter } from './jwt.ts';
import { rbacFilters } from './rbac.ts';

/**
 * The HTTP filters of an HTTP port, or the network filters (RBAC) before tcp_proxy of a tcp one.
 * `port` is the workload's port (the container port), which `ports` and `destination.port` name;
 * `statPrefix` names a tcp port's RBAC stats.
 */
export function securityFilters(model: MeshModel, workload: Workload, port: number, tcp?: { statPrefix: string }): EnvoyJson[] {
  if (!model.authorizationPolicies && !model.requestAuthentications) return [];
  const policies = authorizationPoliciesFor(model, workload);
  if (tcp) return rbacFilters(policies, { port, tcp: true, statPrefix: tcp.statPrefix });
  const jwt = jwtFilter(requestAuthenticationsFor(model, workload), model.services);
  return [...(jwt ? [jwt] : []), ...rbacFilters(policies, { port })];
}
