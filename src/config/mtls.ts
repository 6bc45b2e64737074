// Which mTLS mode a workload's port serves, from the PeerAuthentications, as Istio resolves them:
// a policy with a selector in the workload's namespace, else the namespace's policy without one,
// else the mesh-wide policy (root namespace, no selector); UNSET (or no `mtls`) inherits from the
// next level; `portLevelMtls` (keyed by the workload's port) overrides for that port. Istio's
// default with no policy at all is PERMISSIVE; localmesh's is plain text (undefined here), so a
// mesh without PeerAuthentication compiles exactly as before.
import type { MeshModel, PeerAuthenticationModel, ServiceModel, ServicePortModel, VersionModel } from './model.ts';
import type { MtlsMode } from './schema/security.ts';

/** Istio's root namespace: a PeerAuthentication there without a selector is mesh-wide. */
export const ROOT_NAMESPACE = 'istio-system';

export type ServedMtls = Exclude<MtlsMode, 'UNSET'>;

const matches = (pa: PeerAuthenticationModel, labels: Record<string, string>) =>
  Object.entries(pa.spec.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

/**
 * Whether a DestinationRule of the service asks its clients for ISTIO_MUTUAL (at any level: the
 * rule, a port, a subset). Istio's servers accept mTLS by default (PERMISSIVE); localmesh's serve
 * plain text without a PeerAuthentication, so such a service's servers are PERMISSIVE instead.
 */
function askedForIstioMutual(model: MeshModel, service: ServiceModel): boolean {
  return (model.destinationRules ?? []).some((rule) => {
    if (rule.service !== service.fqdn) return false;
    const policies = [rule.spec.trafficPolicy, ...(rule.spec.subsets ?? []).map((s) => s.trafficPolicy)];
    return policies.some((p) => p?.tls?.mode === 'ISTIO_MUTUAL' || (p?.portLevelSettings ?? []).some((l) => l.tls?.mode === 'ISTIO_MUTUAL'));
  });
}

/**
 * The mode `version` of `service` serves on `port`; undefined without any PeerAuthentication that
 * applies (plain text), unless a DestinationRule asks its clients for ISTIO_MUTUAL (PERMISSIVE).
 */
export function mtlsModeFor(model: MeshModel, service: ServiceModel, version: VersionModel, port: ServicePortModel): ServedMtls | undefined {
  const all = model.peerAuthentications ?? [];
  if (all.length === 0) return askedForIstioMutual(model, service) ? 'PERMISSIVE' : undefined;
  const workload = all.find((pa) => pa.namespace === service.namespace && pa.spec.selector !== undefined && matches(pa, version.labels));
  const namespace = all.find((pa) => pa.namespace === service.namespace && pa.spec.selector === undefined);
  const mesh = all.find((pa) => pa.namespace === ROOT_NAMESPACE && pa.spec.selector === undefined);
  const workloadPort = String(port.targetPort ?? port.port);
  const levels = [workload?.spec.portLevelMtls?.[workloadPort]?.mode, workload?.spec.mtls?.mode, namespace?.spec.mtls?.mode, mesh?.spec.mtls?.mode];
  const applied = workload ?? namespace ?? mesh;
  if (!applied) return askedForIstioMutual(model, service) ? 'PERMISSIVE' : undefined;
  const mode = levels.find((m) => m !== undefined && m !== 'UNSET');
  // A policy that applies but sets no mode is Istio's default, PERMISSIVE.
  return (mode as ServedMtls | undefined) ?? 'PERMISSIVE';
}

/** Whether every version behind a cluster accepts mTLS on `port`: then its clients use it (auto mTLS). */
export function acceptsMtls(model: MeshModel, service: ServiceModel, versions: readonly VersionModel[], port: ServicePortModel): boolean {
  return versions.length > 0 && versions.every((v) => {
    const mode = mtlsModeFor(model, service, v, port);
    return mode === 'STRICT' || mode === 'PERMISSIVE';
  });
}
