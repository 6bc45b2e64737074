// Istio's security.istio.io kinds localmesh reads: PeerAuthentication (v1 and v1beta1).
import { z } from 'zod';
import { Metadata, StringMap } from './common.ts';

export const SECURITY_API_VERSIONS = ['security.istio.io/v1', 'security.istio.io/v1beta1'] as const;

export const MtlsMode = z.enum(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']);
export type MtlsMode = z.infer<typeof MtlsMode>;

const Mtls = z.strictObject({ mode: MtlsMode.optional() });

export const PeerAuthenticationSpec = z.strictObject({
  selector: z.strictObject({ matchLabels: StringMap.optional() }).optional(),
  mtls: Mtls.optional(),
  /** Keyed by the workload's port number (the container port, as in Istio). */
  portLevelMtls: z.record(z.string().regex(/^[0-9]+$/, 'a port number'), Mtls).optional(),
});
export type PeerAuthenticationSpec = z.infer<typeof PeerAuthenticationSpec>;

export const PeerAuthentication = z.looseObject({
  apiVersion: z.enum(SECURITY_API_VERSIONS),
  kind: z.literal('PeerAuthentication'),
  metadata: Metadata,
  spec: PeerAuthenticationSpec,
});
export type PeerAuthentication = z.infer<typeof PeerAuthentication>;
