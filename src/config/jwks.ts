// Where a JWT rule's keys come from, decided once for validation and the compiler. Inline `jwks`
// is used as written (what `mesh token --print-jwks` prints). A `jwksUri` on a mesh service
// (`http://SERVICE[.NS]:PORT/PATH`) is fetched by the proxies from that service. Any other URI is
// not fetched (a laptop mesh works offline): as Istio does when istiod cannot fetch the keys,
// the proxies get a key set nobody can sign for, so every token of that issuer is rejected (401).
import { createPublicKey } from 'node:crypto';
import { CLUSTER_DOMAIN, resolveHost, type ServiceModel } from './model.ts';
import type { JwtRule } from './schema/authorization.ts';

export type JwksSource =
  | { kind: 'inline'; jwks: string }
  | { kind: 'service'; uri: string; fqdn: string; port: number }
  | { kind: 'unreachable'; uri: string }
  | { kind: 'none' };

export function jwksSource(rule: JwtRule, namespace: string, services: readonly ServiceModel[]): JwksSource {
  if (rule.jwks !== undefined) return { kind: 'inline', jwks: rule.jwks };
  if (rule.jwksUri === undefined) return { kind: 'none' };
  let url: URL;
  try {
    url = new URL(rule.jwksUri);
  } catch {
    return { kind: 'unreachable', uri: rule.jwksUri };
  }
  if (url.protocol !== 'http:') return { kind: 'unreachable', uri: rule.jwksUri };
  // As DNS finds it from the resource's namespace: NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local.
  const host = url.hostname;
  const labels = host.split('.').length;
  const service = resolveHost(services, host, namespace) ??
    (labels === 2 ? resolveHost(services, `${host}.${CLUSTER_DOMAIN}`, namespace) : undefined) ??
    (labels === 3 && host.endsWith('.svc') ? resolveHost(services, `${host}.cluster.local`, namespace) : undefined);
  const port = url.port === '' ? 80 : Number(url.port);
  if (!service || !service.ports.some((p) => p.port === port)) return { kind: 'unreachable', uri: rule.jwksUri };
  return { kind: 'service', uri: rule.jwksUri, fqdn: service.fqdn, port };
}

/**
 * Why Envoy would refuse an inline key set, or undefined: it must be a JSON Web Key Set with at
 * least one public key Envoy can use (a set without one fails the whole listener in Envoy).
 */
export function jwksProblem(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'it is not JSON';
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return 'it has no "keys" list';
  const usable = keys.filter((key) => {
    if (typeof key !== 'object' || key === null) return false;
    if ((key as { kty?: unknown }).kty === 'oct') return typeof (key as { k?: unknown }).k === 'string';
    try {
      createPublicKey({ key: key as import('node:crypto').JsonWebKey, format: 'jwk' });
      return true;
    } catch {
      return false;
    }
  });
  return usable.length === 0 ? 'none of its keys is a public key Envoy can use' : undefined;
}
