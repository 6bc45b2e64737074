// Small builders for recurring pieces of Envoy's JSON form, shared by the resource builders.
import type { StringMatch } from '../config/schema/common.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';

const API = 'type.googleapis.com/envoy.';

/** An Any holding an Envoy message, e.g. `typed('extensions.filters.http.router.v3.Router', {})`. */
export function typed(message: string, value: EnvoyJson = {}): EnvoyJson {
  return { '@type': API + message, ...value };
}

/** Resources of this kind come over the aggregated xDS stream. */
export const ADS: EnvoyJson = Object.freeze({ ads: {}, resource_api_version: 'V3' });

export function socketAddress(address: string, port: number): EnvoyJson {
  return { socket_address: { address, port_value: port } };
}

/** A percentage (0–100, fractions allowed) as a FractionalPercent over a million. */
export function fractionalPercent(percent: number): EnvoyJson {
  return { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}

/** Istio's StringMatch as Envoy's StringMatcher; `{}` (present) has no matcher and gives undefined. */
export function stringMatcher(match: StringMatch, ignoreCase = false): EnvoyJson | undefined {
  const caseless = ignoreCase ? { ignore_case: true } : {};
  if (match.exact !== undefined) return { exact: match.exact, ...caseless };
  if (match.prefix !== undefined) return { prefix: match.prefix, ...caseless };
  if (match.regex !== undefined) return { safe_regex: { regex: match.regex } };
  return undefined;
}
