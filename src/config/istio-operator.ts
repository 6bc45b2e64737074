// An IstioOperator beside the mesh YAML: its meshConfig.outboundTrafficPolicy is the mesh's, as
// Istio's docs set it (`spec.meshConfig.outboundTrafficPolicy.mode: REGISTRY_ONLY`), unless the
// Mesh document sets one; everything else in it installs Istio in a cluster and is not applied.
import type { ParsedResource } from './kinds.ts';
import { keyAt, valueAt } from './position.ts';
import { formatRef, type Report } from './report.ts';
import type { Settings } from './schema/mesh.ts';

type OutboundTrafficPolicy = NonNullable<Settings['outboundTrafficPolicy']>;

/** The outbound traffic policy of the IstioOperators, or undefined when none sets one. */
export function operatorOutboundPolicy(resources: readonly ParsedResource[], settings: Settings, report: Report): OutboundTrafficPolicy | undefined {
  let found: { policy: OutboundTrafficPolicy; at: ReturnType<typeof valueAt> } | undefined;
  for (const r of resources) {
    if (r.kind !== 'IstioOperator') continue;
    const spec = r.value.spec ?? {};
    const { meshConfig, ...install } = spec;
    const { outboundTrafficPolicy, ...mesh } = meshConfig ?? {};
    const ignored = [...Object.keys(install).map((k) => `spec.${k}`), ...Object.keys(mesh).map((k) => `spec.meshConfig.${k}`)];
    if (ignored.length > 0) {
      report('warning', keyAt(r.source, ['kind']),
        `IstioOperator: only spec.meshConfig.outboundTrafficPolicy is applied by localmesh; ${ignored.join(', ')} ${ignored.length > 1 ? 'install' : 'installs'} Istio in a cluster and ${ignored.length > 1 ? 'are' : 'is'} not applied`);
    }
    if (!outboundTrafficPolicy) continue;
    const at = keyAt(r.source, ['spec', 'meshConfig', 'outboundTrafficPolicy']);
    if (settings.outboundTrafficPolicy) {
      report('warning', at, 'the Mesh document sets settings.outboundTrafficPolicy, which is applied instead of this one');
    } else if (found && found.policy.mode !== outboundTrafficPolicy.mode) {
      report('error', at, `a second outboundTrafficPolicy (mode ${outboundTrafficPolicy.mode ?? 'ALLOW_ANY'}) disagrees with the first (mode ${found.policy.mode ?? 'ALLOW_ANY'})`,
        `the first is at ${formatRef(found.at)}; keep one`);
    } else found ??= { policy: outboundTrafficPolicy, at };
  }
  return settings.outboundTrafficPolicy ? undefined : found?.policy;
}
