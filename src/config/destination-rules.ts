// What a DestinationRule means, checked as Istio checks it and against the mesh: its host is a
// service (a wildcard host is a warning), its subsets have distinct DNS-label names and select
// versions, every policy sets something, each load balancer picks one hash key and a maglev table
// Envoy accepts, and the outlier and connection pool settings make sense together.
import type { CheckContext } from './context.ts';
import { isDnsLabel, wildcardDomainProblem } from './dns.ts';
import { checkExportTo } from './export-to.ts';
import { gatewayService } from './gateway-proxies.ts';
import { hostsMatch } from './gateways.ts';
import { unknownHost } from './hosts.ts';
import { findServiceEntry, hostFqdn, type DestinationRuleModel } from './model.ts';
import { checkDestinationRuleTls, checkServiceEntryRule } from './service-entry-refs.ts';
import { formatPath, keyAt, valueAt } from './position.ts';
import { formatRef } from './report.ts';
import type { Located } from './resources.ts';
import { ConnectionPoolSettings, DestinationRule, LoadBalancerSettings, OutlierDetection, PortTrafficPolicy, TrafficPolicy } from './schema/istio.ts';
import { walkSchema } from './walk.ts';
import { IST } from './analyze/codes.ts';

const HASH_KEYS = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const;
const HASH_ALGORITHMS = ['ringHash', 'maglev', 'minimumRingSize'] as const;

/** Envoy's (and Istio's) bound on a maglev table: below this prime. */
const MAGLEV_MAX = 5000011;

/** As Envoy decides it (and Istio copies): 1, 2 and 3 count as prime. */
function isPrime(n: number): boolean {
  if (n > 0 && n < 4) return true;
  if (n % 2 === 0) return false;
  for (let f = 3; f * f <= n; f += 2) if (n % f === 0) return false;
  return true;
}

function nextPrime(n: number): number {
  let p = n + 1;
  while (!isPrime(p)) p++;
  return p;
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
}

function checkDestinationRule({ item: rule, source }: Located<DestinationRuleModel>, ctx: CheckContext): void {
  const service = ctx.services.find((s) => s.fqdn === rule.service);
  const external = service ? undefined : findServiceEntry(ctx.serviceEntries, rule.spec.host, rule.namespace);
  const hostProblem = wildcardDomainProblem(rule.spec.host);
  if (external) {
    checkServiceEntryRule({ item: rule, source }, ctx, external.entry);
  } else if (hostProblem) {
    ctx.report('error', valueAt(source, ['spec', 'host']), hostProblem);
  } else if (rule.spec.host.startsWith('*')) {
    // Istio applies it to every service its host covers; localmesh reads one service per rule.
    const covered = ctx.services.filter((s) => hostsMatch(rule.spec.host, s.fqdn)).map((s) => s.name);
    ctx.report('warning', valueAt(source, ['spec', 'host']),
      covered.length
        ? `DestinationRule host '${rule.spec.host}' covers ${covered.join(', ')}, but a wildcard host is not applied by localmesh yet`
        : `DestinationRule host '${rule.spec.host}' covers no service of the mesh, so the rule does nothing`);
  } else if (!service && !gatewayService(ctx.gateways.map((g) => g.item), hostFqdn(rule.spec.host, rule.namespace))) {
    const { message, hint } = unknownHost('DestinationRule host', rule.spec.host, rule.namespace, ctx.services);
    ctx.report('error', valueAt(source, ['spec', 'host']), message, hint, IST.UnknownDestinationRuleHost);
  }
  if (service) checkDestinationRuleTls({ item: rule, source }, ctx, false);
  checkExportTo(source, ['spec', 'exportTo'], rule.namespace, rule.spec.exportTo, ctx.report);
  const seen = new Map<string, number>();
  rule.spec.subsets?.forEach((subset, i) => {
    const at = valueAt(source, ['spec', 'subsets', i, 'name']);
    const first = seen.get(subset.name);
    if (first !== undefined) {
      ctx.report('error', at, `subset '${subset.name}' is defined twice in DestinationRule ${rule.name}`,
        `the first is at ${formatRef(valueAt(source, ['spec', 'subsets', first, 'name']))}`);
      return;
    }
    seen.set(subset.name, i);
    if (!isDnsLabel(subset.name)) {
      ctx.report('error', at, `subset name '${subset.name}' is not a DNS label`, 'use lowercase letters, digits and -, e.g. v1');
    }
    const labels = subset.labels ?? {};
    const selects = (versionLabels: Record<string, string>) => Object.entries(labels).every(([k, v]) => versionLabels[k] === v);
    if (service && !service.versions.some((v) => selects(v.labels))) {
      ctx.report('warning', at, `subset '${subset.name}' selects no version of ${service.name} (labels ${labelText(labels)}), so traffic sent to it fails`,
        `versions of ${service.name}: ${service.versions.map((v) => `${v.name} (${labelText(v.labels)})`).join('; ')}`, IST.DestinationRuleSubsetNotSelectPods);
    }
  });
  walkSchema(DestinationRule, { spec: rule.spec }, (schema, value, path) => {
    const report = (at: readonly PropertyKey[], message: string, hint?: string) => ctx.report('error', keyAt(source, at), message, hint);
    if (schema === TrafficPolicy || schema === PortTrafficPolicy) {
      const { port, ...policies } = value as Record<string, unknown>;
      if (Object.values(policies).every((v) => v === undefined)) report(path, `${formatPath(path)} sets no policy`, 'give it a loadBalancer, connectionPool, outlierDetection or tls, or remove it');
      if (schema === PortTrafficPolicy && port === undefined) report(path, `${formatPath(path)} needs the port it applies to`, 'add port: {number: PORT}');
      if (policies.tunnel !== undefined && policies.proxyProtocol !== undefined) report([...path, 'proxyProtocol'], `${formatPath(path)} sets both tunnel and proxyProtocol; Istio takes one`);
    } else if (schema === ConnectionPoolSettings) {
      const pool = value as ConnectionPoolSettings;
      if (!pool.tcp && !pool.http) report(path, `${formatPath(path)} sets nothing`, 'give it tcp or http settings, or remove it');
      if (pool.http?.h2UpgradePolicy === 'UPGRADE' && pool.http.useClientProtocol) {
        report([...path, 'http', 'useClientProtocol'], 'useClientProtocol cannot be true when h2UpgradePolicy is UPGRADE');
      }
    } else if (schema === OutlierDetection) {
      const outlier = value as OutlierDetection;
      if ((outlier.consecutiveLocalOriginFailures ?? 0) > 0 && !outlier.splitExternalLocalOriginErrors) {
        report([...path, 'consecutiveLocalOriginFailures'], 'consecutiveLocalOriginFailures only counts when splitExternalLocalOriginErrors is true',
          'add splitExternalLocalOriginErrors: true');
      }
    }
    if (schema !== LoadBalancerSettings) return;
    const hash = (value as LoadBalancerSettings).consistentHash;
    if (!hash) return;
    if (hash.maglev) {
      const size = hash.maglev.tableSize;
      const at = [...path, 'consistentHash', 'maglev', ...(size === undefined ? [] : ['tableSize'])];
      if (!size) report(at, 'maglev needs a tableSize', 'a prime number such as 65537 (Envoy\'s default)');
      else if (size >= MAGLEV_MAX) report(at, `maglev tableSize ${size} is too large; it must be less than ${MAGLEV_MAX}`);
      else if (!isPrime(size)) report(at, `maglev tableSize ${size} is not a prime number`, `the nearest prime above is ${nextPrime(size)}`);
    }
    for (const group of [HASH_KEYS, HASH_ALGORITHMS]) {
      const set = group.filter((k) => hash[k] !== undefined);
      if (set.length > 1) {
        ctx.report('error', keyAt(source, [...path, 'consistentHash', set[1]!]),
          `${formatPath([...path, 'consistentHash'])} sets ${set.join(' and ')}; it takes only one of ${group.join(', ')}`);
      }
    }
  });
}

export function checkDestinationRules(ctx: CheckContext): void {
  for (const located of ctx.destinationRules) checkDestinationRule(located, ctx);
}
