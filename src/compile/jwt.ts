// RequestAuthentications → Envoy's jwt_authn HTTP filter for one workload, as Istio writes it:
// a provider per JWT rule (`origins-I`), each leaving the verified payload in dynamic metadata
// for the RBAC filters after it (requestPrincipals, request.auth.*); one rule for every path that
// requires any provider or no token at all (`allow_missing`): a missing token passes (an
// AuthorizationPolicy may then refuse it, 403), an invalid or expired one is refused (401).
import { toEnvoyDuration } from '../config/duration.ts';
import { outboundCluster } from '../config/names.ts';
import { jwksSource } from '../config/jwks.ts';
import type { RequestAuthenticationModel, ServiceModel } from '../config/model.ts';
import type { JwtRule } from '../config/schema/authorization.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';
import { typed } from './envoy-json.ts';
import { JWT_FILTER, JWT_PAYLOAD_KEY } from './rbac.ts';

/**
 * The keys served for an issuer whose jwksUri localmesh does not fetch: a public key whose
 * private half was thrown away, so no token verifies (Istio inlines such a key set too).
 */
const UNVERIFIABLE_JWKS = JSON.stringify({
  keys: [{
    kty: 'RSA', kid: 'unreachable', alg: 'RS256', use: 'sig', e: 'AQAB',
    n: 'sYLpu7ZwI6dbJbA4epcd0SAbpz3-nxr84kSfoqmJt1Npvz-0UcTE6zixoGz_nsd4YJFuGRjf44Of5fOCUFShGAptI8809rPX7UIn2S_Sprxmh_tu866DT7VZSOiyfX_TvYwYw5cOUxCdZt8x5L0krsGt1sl5qfZyGdBZmA-RPs-q5M4yQB1HogoW9B4Z_FxyctiztT9MdS9yqzWmssuCRcip97GetA7wXfnAm3Ipv1TEY0eov6DgyPoKZDHRkoTS9IqBM6wqvnU0NO_PHmLmL7N-g19TgsmCymN6PBu8irTgPnX82HJfUwDhJB4PALBGvQB_pD5M5W9jvMyVTn80wQ',
  }],
});

function keys(rule: JwtRule, namespace: string, services: readonly ServiceModel[]): EnvoyJson {
  const source = jwksSource(rule, namespace, services);
  switch (source.kind) {
    case 'inline':
      return { local_jwks: { inline_string: source.jwks } };
    case 'service':
      return {
        remote_jwks: {
          http_uri: { uri: source.uri, cluster: outboundCluster(source.port, undefined, source.fqdn), timeout: rule.timeout ? toEnvoyDuration(rule.timeout) : '5s' },
          cache_duration: '300s',
        },
      };
    case 'unreachable':
    case 'none':
      return { local_jwks: { inline_string: UNVERIFIABLE_JWKS } };
  }
}

function provider(rule: JwtRule, namespace: string, services: readonly ServiceModel[]): EnvoyJson {
  return {
    issuer: rule.issuer,
    ...(rule.audiences?.length ? { audiences: rule.audiences } : {}),
    ...keys(rule, namespace, services),
    ...(rule.fromHeaders?.length ? { from_headers: rule.fromHeaders.map((h) => ({ name: h.name, ...(h.prefix !== undefined ? { value_prefix: h.prefix } : {}) })) } : {}),
    ...(rule.fromParams?.length ? { from_params: rule.fromParams } : {}),
    ...(rule.fromCookies?.length ? { from_cookies: rule.fromCookies } : {}),
    ...(rule.forwardOriginalToken ? { forward: true } : {}),
    ...(rule.outputPayloadToHeader ? { forward_payload_header: rule.outputPayloadToHeader } : {}),
    ...(rule.outputClaimToHeaders?.length ? { claim_to_headers: rule.outputClaimToHeaders.map((c) => ({ header_name: c.header, claim_name: c.claim })) } : {}),
    payload_in_metadata: JWT_PAYLOAD_KEY,
  };
}

/** The jwt_authn filter of a workload; undefined when no RequestAuthentication with a JWT rule applies to it. */
export function jwtFilter(authentications: readonly RequestAuthenticationModel[], services: readonly ServiceModel[]): EnvoyJson | undefined {
  const rules = authentications.flatMap((ra) => (ra.spec.jwtRules ?? []).map((rule) => ({ rule, namespace: ra.namespace })));
  if (rules.length === 0) return undefined;
  const providers = Object.fromEntries(rules.map(({ rule, namespace }, i) => [`origins-${i}`, provider(rule, namespace, services)]));
  return {
    name: JWT_FILTER,
    typed_config: typed('extensions.filters.http.jwt_authn.v3.JwtAuthentication', {
      providers,
      rules: [{
        match: { prefix: '/' },
        requires: { requires_any: { requirements: [...Object.keys(providers).map((provider_name) => ({ provider_name })), { allow_missing: {} }] } },
      }],
    }),
  };
}
