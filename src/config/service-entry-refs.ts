// References to ServiceEntry hosts: a VirtualService destination (its port and subset exist), and
// a DestinationRule for such a host (its subsets select endpoints; TLS origination settings Istio
// would accept and localmesh can apply). Istio checks the same things against its registry.
import { mergeDestinationRules } from './destination-rule-merge.ts';
import type { CheckContext } from './context.ts';
import { isDnsLabel } from './dns.ts';
import type { DestinationRuleModel, ServiceEntryModel } from './model.ts';
import { formatPath, keyAt, valueAt, type Path } from './position.ts';
import type { Located } from './resources.ts';
import type { Destination, TrafficPolicy } from './schema/istio.ts';
import { didYouMean } from './suggest.ts';
import { IST } from './analyze/codes.ts';
import type { VsScope } from './virtual-services.ts';

export function checkServiceEntryDestination(
  { ctx, source, atGateway }: VsScope,
  path: Path,
  destination: Destination,
  { entry, host }: { entry: ServiceEntryModel; host: string },
): void {
  if (destination.subset !== undefined) {
    if (!isDnsLabel(destination.subset)) {
      ctx.report('error', valueAt(source, [...path, 'subset']), `subset name '${destination.subset}' is not a DNS label`, 'use lowercase letters, digits and -, e.g. v1');
      return;
    }
    const rules = ctx.destinationRules.filter((d) => d.item.service === host).map((d) => d.item);
    const subsets = mergeDestinationRules(rules)?.spec.subsets?.map((s) => s.name) ?? [];
    if (!subsets.includes(destination.subset)) {
      ctx.report('error', valueAt(source, [...path, 'subset']),
        rules.length > 0
          ? `subset '${destination.subset}' is not defined by DestinationRule ${rules.map((r) => r.name).join(', ')} for ${host}${didYouMean(destination.subset, subsets)}`
          : `subset '${destination.subset}' of ${host} is not defined: no DestinationRule for ${host}`,
        `define it in a DestinationRule for ${host}: subsets: [{name: ${destination.subset}, labels: {...}}], the labels of the ServiceEntry's endpoints`,
        IST.ReferencedResourceNotFound);
    }
  }
  const ports = entry.ports.map((p) => p.number);
  if (destination.port !== undefined && !ports.includes(destination.port.number)) {
    ctx.report('error', valueAt(source, [...path, 'port', 'number']),
      `ServiceEntry ${entry.name} does not declare port ${destination.port.number} for ${host}`, `its ports: ${ports.join(', ') || '(none)'}`);
  }
  if (destination.port === undefined && ports.length > 1 && atGateway) {
    ctx.report('error', valueAt(source, path),
      `${host} has several ports (${ports.join(', ')}); a route from a gateway must choose one`,
      `add port: {number: ${ports[0]}} to the destination`, IST.VirtualServiceDestinationPortSelectorRequired);
  }
}

type Policy = Omit<TrafficPolicy, 'portLevelSettings'>;

/** Every traffic policy of a rule with the path to it: top level, port level, subsets and their port levels. */
function policies(rule: DestinationRuleModel): { policy: Policy; path: Path }[] {
  const out: { policy: Policy; path: Path }[] = [];
  const add = (policy: TrafficPolicy | undefined, path: Path) => {
    if (!policy) return;
    out.push({ policy, path });
    policy.portLevelSettings?.forEach((p, i) => out.push({ policy: p, path: [...path, 'portLevelSettings', i] }));
  };
  add(rule.spec.trafficPolicy, ['spec', 'trafficPolicy']);
  rule.spec.subsets?.forEach((s, i) => add(s.trafficPolicy, ['spec', 'subsets', i, 'trafficPolicy']));
  return out;
}

/**
 * The TLS a DestinationRule asks sidecars to originate, checked as Istio's ValidateTLS. For a
 * ServiceEntry host SIMPLE is applied (MUTUAL as SIMPLE, without the client certificate); for a
 * mesh service ISTIO_MUTUAL and DISABLE are applied (mTLS, plain text) and SIMPLE or MUTUAL noted.
 */
export function checkDestinationRuleTls({ item: rule, source }: Located<DestinationRuleModel>, ctx: CheckContext, external: boolean): void {
  for (const { policy, path } of policies(rule)) {
    const tls = policy.tls;
    if (!tls) continue;
    const at = (field: string) => (tls[field as keyof typeof tls] === undefined ? keyAt(source, [...path, 'tls']) : keyAt(source, [...path, 'tls', field]));
    const mode = tls.mode ?? 'DISABLE';
    // Istio's ValidateTLS, for every DestinationRule.
    if (tls.insecureSkipVerify && (mode === 'SIMPLE' || mode === 'MUTUAL')) {
      const set = (mode === 'SIMPLE' ? (['caCertificates', 'credentialName', 'subjectAltNames'] as const) : (['caCertificates', 'subjectAltNames'] as const)).filter((f) => tls[f] !== undefined);
      if (set.length > 0) ctx.report('error', at(set[0]!), `cannot specify ${set.join(' or ')} when insecureSkipVerify is set true`, 'insecureSkipVerify checks no certificate; remove one or the other');
    }
    if ((mode === 'SIMPLE' || mode === 'MUTUAL') && tls.credentialName) {
      const set = (['clientCertificate', 'caCertificates', 'privateKey', 'caCrl'] as const).filter((f) => tls[f] !== undefined);
      if (set.length > 0) ctx.report('error', at(set[0]!), 'cannot specify client certificates or CA certificate or CA CRL if credentialName is set');
      if (set.length > 0) continue;
    } else if (mode === 'MUTUAL') {
      if (!tls.clientCertificate) ctx.report('error', at('mode'), 'client certificate required for mutual tls', 'add clientCertificate (and privateKey), or credentialName');
      if (!tls.privateKey) ctx.report('error', at('mode'), 'private key required for mutual tls', 'add privateKey (and clientCertificate), or credentialName');
    }
    if (!external) {
      // ISTIO_MUTUAL and DISABLE choose mTLS or plain text over auto mTLS (compile/clusters.ts).
      if (mode === 'SIMPLE' || mode === 'MUTUAL') {
        ctx.report('warning', keyAt(source, [...path, 'tls']),
          `DestinationRule ${formatPath([...path, 'tls'])} mode ${mode} to a mesh service is accepted but not applied by localmesh: its sidecars use auto mTLS (or ISTIO_MUTUAL / DISABLE as a rule says)`,
          'TLS origination (mode SIMPLE) applies to ServiceEntry hosts');
      }
      continue;
    }
    if (mode === 'MUTUAL') {
      ctx.report('warning', at('mode'), 'tls mode MUTUAL is applied as SIMPLE: localmesh originates TLS without a client certificate yet',
        'use mode SIMPLE to originate TLS that checks the server only');
    }
    if (mode === 'ISTIO_MUTUAL') {
      ctx.report('warning', at('mode'), `tls mode ISTIO_MUTUAL to the ServiceEntry host ${rule.spec.host} is not applied: the mesh's certificates are for its own sidecars`, 'use SIMPLE to originate TLS to it');
    }
  }
}

/** A DestinationRule for a ServiceEntry host: its subsets select endpoints by their labels. */
export function checkServiceEntryRule(located: Located<DestinationRuleModel>, ctx: CheckContext, entry: ServiceEntryModel): void {
  const { item: rule, source } = located;
  checkDestinationRuleTls(located, ctx, true);
  if (entry.endpoints.length === 0) return;
  rule.spec.subsets?.forEach((subset, i) => {
    const labels = subset.labels ?? {};
    if (entry.endpoints.some((e) => Object.entries(labels).every(([k, v]) => e.labels[k] === v))) return;
    ctx.report('warning', valueAt(source, ['spec', 'subsets', i, 'name']),
      `subset '${subset.name}' selects no endpoint of ServiceEntry ${entry.name}, so traffic sent to it fails`,
      `endpoint labels: ${entry.endpoints.map((e) => Object.entries(e.labels).map(([k, v]) => `${k}=${v}`).join(', ') || 'none').join('; ')}`);
  });
}
