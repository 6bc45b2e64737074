// The HTTP filters that decide who may call a workload port, in Istio's order: jwt_authn
// (RequestAuthentication) first, so the RBAC filters after it (AuthorizationPolicy: AUDIT, DENY,
// ALLOW) can match the verified token. None when no policy applies: the chain is as before.
import { authorizationPoliciesFor, requestAuthenticationsFor, type Workload } from '../config/authz-scope.ts';
import type { MeshModel } from '../config/model.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';
import { issuers, jwtFilter } from './jwt.ts';
import { rbacFilters } from './rbac.ts';

const ISSUERS = new WeakMap<MeshModel, string[]>();

/** `port` is the workload's port (the container port), which `ports` and `destination.port` name. */
export function securityFilters(model: MeshModel, workload: Workload, port: number): EnvoyJson[] {
  if (!model.authorizationPolicies && !model.requestAuthentications) return [];
  let known = ISSUERS.get(model);
  if (!known) ISSUERS.set(model, (known = issuers(model.requestAuthentications ?? [])));
  const jwt = jwtFilter(requestAuthenticationsFor(model, workload), model.services);
  return [...(jwt ? [jwt] : []), ...rbacFilters(authorizationPoliciesFor(model, workload), { port, issuers: known })];
}
