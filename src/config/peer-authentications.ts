// PeerAuthentication checks beyond the schema, each at its position: Istio's rule that
// `portLevelMtls` needs a `selector`, and policies that can never apply (a selector no workload
// matches, a port no selected workload has, a second policy where Istio takes only the oldest).
import type { CheckContext } from './context.ts';
import { ROOT_NAMESPACE } from './mtls.ts';
import { keyAt, valueAt } from './position.ts';
import { formatRef } from './report.ts';

export function checkPeerAuthentications(ctx: CheckContext): void {
  const seen = new Map<string, ReturnType<typeof valueAt>>();
  for (const { source, item: pa } of ctx.peerAuthentications) {
    const selector = pa.spec.selector?.matchLabels;
    const scope = `${pa.namespace} ${selector === undefined ? '' : JSON.stringify(Object.entries(selector).sort())}`;
    const first = seen.get(scope);
    if (first) {
      ctx.report('warning', valueAt(source, ['metadata', 'name']),
        `PeerAuthentication ${pa.name} applies to the same workloads as one before it; Istio uses only the oldest`,
        `the first is at ${formatRef(first)}; merge the two`);
    } else seen.set(scope, valueAt(source, ['metadata', 'name']));
    if (pa.spec.portLevelMtls && pa.spec.selector === undefined) {
      ctx.report('error', keyAt(source, ['spec', 'portLevelMtls']), `PeerAuthentication ${pa.name}: portLevelMtls needs a selector (Istio's rule)`,
        'add spec.selector.matchLabels naming the workloads whose ports these are');
    }
    const services = ctx.services.filter((s) => s.namespace === pa.namespace);
    if (pa.namespace !== ROOT_NAMESPACE && services.length === 0) {
      ctx.report('warning', valueAt(source, ['metadata', 'namespace']), `PeerAuthentication ${pa.name} is in namespace ${pa.namespace}, where no workload runs`,
        `a mesh-wide policy goes in ${ROOT_NAMESPACE}`);
      continue;
    }
    if (selector === undefined) continue;
    const selected = services.flatMap((s) => s.versions.filter((v) => Object.entries(selector).every(([k, val]) => v.labels[k] === val)).map((v) => ({ s, v })));
    if (selected.length === 0) {
      ctx.report('warning', valueAt(source, ['spec', 'selector', 'matchLabels']), `PeerAuthentication ${pa.name} selects no workload in namespace ${pa.namespace}`);
      continue;
    }
    for (const port of Object.keys(pa.spec.portLevelMtls ?? {})) {
      if (!selected.some(({ s }) => s.ports.some((p) => String(p.targetPort ?? p.port) === port))) {
        ctx.report('warning', keyAt(source, ['spec', 'portLevelMtls', port]), `PeerAuthentication ${pa.name}: no selected workload listens on port ${port}`);
      }
    }
  }
}
