// Which routes of a proxy's config inject faults, through which HTTP connection managers, to
// which clusters: what the traffic report needs to count injected aborts and delays as the
// callers saw them (the fault filter counts them per connection manager only). Pure: a proxy's
// compiled resources in, FaultRoutes out.
import { FAULT_FILTER } from '../compile/routes.ts';
import type { EnvoyJson, ProxySnapshot } from '../envoy/snapshot.ts';
import type { FaultRoute } from './traffic.ts';

type Json = { [key: string]: Json | undefined } & EnvoyJson;

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

export function faultRoutes(snapshot: Pick<ProxySnapshot, 'listeners' | 'routes'>): FaultRoute[] {
  // The connection managers (stat_prefix) that route by each route configuration.
  const managers = new Map<string, string[]>();
  for (const { value } of snapshot.listeners) {
    const chains = [...((value.filter_chains as Json[] | undefined) ?? []), ...(value.default_filter_chain ? [value.default_filter_chain as Json] : [])];
    for (const filter of chains.flatMap((c) => (c.filters as Json[] | undefined) ?? [])) {
      const config = filter.typed_config as Json | undefined;
      const name = (config?.rds as Json | undefined)?.route_config_name;
      if (typeof name !== 'string' || typeof config?.stat_prefix !== 'string') continue;
      const list = managers.get(name) ?? [];
      if (!list.includes(config.stat_prefix)) list.push(config.stat_prefix);
      managers.set(name, list);
    }
  }
  const byRoute = new Map<string, FaultRoute>();
  for (const { name, value } of snapshot.routes) {
    for (const host of (value.virtual_hosts as Json[] | undefined) ?? []) {
      for (const route of (host.routes as Json[] | undefined) ?? []) {
        const fault = (route.typed_per_filter_config as Json | undefined)?.[FAULT_FILTER] as Json | undefined;
        const statPrefix = route.stat_prefix;
        if (!fault || typeof statPrefix !== 'string') continue;
        const known = byRoute.get(statPrefix);
        const listeners = [...new Set([...(known?.listeners ?? []), ...(managers.get(name) ?? [])])];
        byRoute.set(statPrefix, { ...(known ?? describe(statPrefix, route, fault)), listeners });
      }
    }
  }
  return [...byRoute.values()];
}

function describe(statPrefix: string, route: Json, fault: Json): FaultRoute {
  const action = route.route as Json | undefined;
  const weighted = (action?.weighted_clusters as Json | undefined)?.clusters as Json[] | undefined;
  const clusters = weighted
    ? weighted.map((c) => ({ cluster: String(c.name), weight: Number(c.weight ?? 0) }))
    : typeof action?.cluster === 'string'
      ? [{ cluster: action.cluster, weight: 1 }]
      : [];
  const out: FaultRoute = { route: statPrefix, listeners: [], clusters };
  const abort = fault.abort as Json | undefined;
  if (abort) out.abort = { status: Number(abort.http_status ?? 0), fraction: fraction(abort.percentage as Json | undefined) };
  const delay = fault.delay as Json | undefined;
  if (delay && typeof delay.fixed_delay === 'string') out.delay = { ms: Number.parseFloat(delay.fixed_delay) * 1000, fraction: fraction(delay.percentage as Json | undefined) };
  return out;
}

/** A FractionalPercent as a fraction (left out, as Envoy reads it: none). */
function fraction(percent: Json | undefined): number {
  if (!percent) return 0;
  return Math.min(1, Number(percent.numerator ?? 0) / (DENOMINATORS[String(percent.denominator ?? 'HUNDRED')] ?? 100));
}
