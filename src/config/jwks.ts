// Where a JWT rule's keys come from, decided once for validation and the compiler. Inline `jwks`
// is used as written (what `mesh token --print-jwks` prints). A `jwksUri` on a mesh service
// (`http://SERVICE[.NS]:PORT/PATH`) is fetched by the proxies from that service. Any other URI is
// not fetched (a laptop mesh works offline): as Istio does when istiod cannot fetch the keys,
// the proxies get a key set nobody can sign for, so every token of that issuer is rejected (401).
import { resolveHost, type ServiceModel } from './model.ts';
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
  const service = resolveHost(services, url.hostname, namespace);
  const port = url.port === '' ? 80 : Number(url.port);
  if (!service || !service.ports.some((p) => p.port === port)) return { kind: 'unreachable', uri: rule.jwksUri };
  return { kind: 'service', uri: rule.jwksUri, fqdn: service.fqdn, port };
}
