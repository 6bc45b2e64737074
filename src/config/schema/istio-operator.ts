// Istio's install-time configuration as users keep it beside their mesh YAML: an IstioOperator
// (install.istio.io/v1alpha1). Only its meshConfig's outboundTrafficPolicy changes traffic on a
// laptop; the rest (components, values, profiles) installs Istio in a cluster and is read but not
// applied (config/istio-operator.ts says so).
import { z } from 'zod';
import { Metadata } from './common.ts';

export const ISTIO_OPERATOR_API_VERSION = 'install.istio.io/v1alpha1';

export const OutboundTrafficPolicy = z.strictObject({ mode: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY']).optional() });

export const IstioOperator = z.looseObject({
  apiVersion: z.literal(ISTIO_OPERATOR_API_VERSION),
  kind: z.literal('IstioOperator'),
  /** Istio allows an IstioOperator without a name (`istioctl install -f`). */
  metadata: Metadata.partial({ name: true }).optional(),
  spec: z
    .looseObject({
      meshConfig: z.looseObject({ outboundTrafficPolicy: OutboundTrafficPolicy.optional() }).optional(),
    })
    .optional(),
});
export type IstioOperator = z.infer<typeof IstioOperator>;
