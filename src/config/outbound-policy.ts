// Istio's outboundTrafficPolicy: what a sidecar does with a call to a host the mesh does not know.
import type { MeshModel } from './model.ts';

export type OutboundPolicyMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/** The mesh's mode: the Mesh document's `settings.outboundTrafficPolicy.mode`, else ALLOW_ANY (Istio's default). */
export function outboundPolicy(model: MeshModel): OutboundPolicyMode {
  return model.settings.outboundTrafficPolicy?.mode ?? 'ALLOW_ANY';
}
