// More of Istio's HTTP route features, each as the YAML a user writes and the Envoy route it gives.
import { describe, expect, it } from 'vitest';
import { compile, proxy, REVIEWS_SUBSETS, reviewsRoutes, reviewsVs, routeConfig } from './compile-helpers.ts';

const R = 'reviews.default.svc.cluster.local';
const PASSTHROUGH_HOST = {
  name: 'allow_any',
  domains: ['*'],
  routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: 'PassthroughCluster', timeout: '0s' } }],
};
/** The one route of reviews' VirtualService with `http` (one rule), as productpage sees it. */
const only = (http: string, ...docs: string[]) => reviewsRoutes(compile([REVIEWS_SUBSETS, ...docs, reviewsVs(http)]))[0];
/** reviews with a DestinationRule asking for consistent hashing by `hash` (YAML flow map). */
const hashed = (hash: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {consistentHash: ${hash}}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}`;
const hashedRoute = (hash: string) => reviewsRoutes(compile([hashed(hash)]))[0].route;

describe('sidecar route configuration', () => {
  it('with capture, traffic to hosts outside the mesh passes through to its original destination (allow_any)', () => {
    const outbound = (kind: 'compose' | 'loopback') => routeConfig(proxy(compile([], kind), 'reviews-v1'), 'outbound');
    expect(outbound('compose').virtual_hosts.at(-1)).toEqual(PASSTHROUGH_HOST);
    expect(outbound('compose').validate_clusters).toBe(false);
  });

  it('without capture, allow_any forwards by name, CONNECT tunnels included (the dynamic forward proxy PassthroughCluster)', () => {
    const outbound = routeConfig(proxy(compile([], 'loopback'), 'reviews-v1'), 'outbound');
    expect(outbound.virtual_hosts.at(-1)).toEqual({
      name: 'allow_any',
      domains: ['*'],
      routes: [
        { name: 'allow_any_connect', match: { connect_matcher: {} }, route: { cluster: 'PassthroughCluster', timeout: '0s', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] } },
        PASSTHROUGH_HOST.routes[0],
      ],
    });
  });
});

describe('the inbound route to the app', () => {
  /** Every inline route configuration named like `inbound|PORT||` in a proxy's listeners. */
  const inbound = (id: string): any[] => {
    const found: any[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.name === 'string' && o.name.startsWith('inbound|') && Array.isArray(o.virtual_hosts)) found.push(o);
        else Object.values(o).forEach(walk);
      }
    };
    walk(proxy(compile([]), id).listeners.map((l) => l.value));
    return found;
  };

  it('HTTP: everything to the app, held (tried again, bounded) while the app does not listen or closed the connection before the request; gRPC: no retries', () => {
    const [http] = inbound('reviews-v1');
    expect(http).toEqual({
      name: 'inbound|9080||',
      virtual_hosts: [
        {
          name: 'inbound|9080||',
          domains: ['*'],
          routes: [
            {
              name: 'default',
              match: { prefix: '/' },
              route: {
                cluster: 'inbound|9080||',
                timeout: '0s',
                retry_policy: { num_retries: 10, retry_on: 'connect-failure,reset-before-request', retry_back_off: { base_interval: '0.1s', max_interval: '1s' } },
              },
            },
          ],
        },
      ],
      validate_clusters: false,
    });
    const grpc = inbound('ratings-v1').find((c) => c.name === 'inbound|9090||');
    expect(grpc.virtual_hosts[0].routes[0].route).toEqual({ cluster: 'inbound|9090||', timeout: '0s' });
  });
});

describe('weights', () => {
  it('destinations with weight 0 get no traffic: one left is a plain cluster route', () => {
    const route = only(`  - route:
    - {destination: {host: reviews, subset: v1}, weight: 100}
    - {destination: {host: reviews, subset: v2}, weight: 0}`);
    expect(route.route.cluster).toBe(`outbound|9080|v1|${R}`);
    expect(route.route.weighted_clusters).toBeUndefined();
  });

  it('several with weight: weighted clusters, the zero ones left out', () => {
    const route = only(`  - route:
    - {destination: {host: reviews, subset: v1}, weight: 70}
    - {destination: {host: reviews, subset: v2}, weight: 0}
    - {destination: {host: reviews, subset: v3}, weight: 30}`);
    expect(route.route.weighted_clusters.clusters).toEqual([
      { name: `outbound|9080|v1|${R}`, weight: 70 },
      { name: `outbound|9080|v3|${R}`, weight: 30 },
    ]);
  });
});

describe('retries', () => {
  it('retryOn: conditions and status codes; codes add retriable-status-codes', () => {
    const retry = only(`  - route: [{destination: {host: reviews}}]
    retries: {attempts: 4, retryOn: "5xx,503,connect-failure", backoff: 25ms}`).route.retry_policy;
    expect(retry).toMatchObject({
      retry_on: '5xx,connect-failure,retriable-status-codes',
      num_retries: 4,
      retriable_status_codes: [503],
      retry_back_off: { base_interval: '0.025s' },
      host_selection_retry_max_attempts: 5,
    });
  });

  it('retryOn without codes: no status codes; retriable-status-codes written by hand is not repeated', () => {
    const onlyConditions = only(`  - route: [{destination: {host: reviews}}]
    retries: {attempts: 1, retryOn: "reset,5xx"}`).route.retry_policy;
    expect(onlyConditions.retry_on).toBe('reset,5xx');
    expect(onlyConditions.retriable_status_codes).toBeUndefined();
    expect(onlyConditions.retry_back_off).toBeUndefined();
    const written = only(`  - route: [{destination: {host: reviews}}]
    retries: {attempts: 1, retryOn: "retriable-status-codes,502"}`).route.retry_policy;
    expect(written).toMatchObject({ retry_on: 'retriable-status-codes', retriable_status_codes: [502] });
  });

  it('attempts: 0 turns retries off', () => {
    expect(only(`  - route: [{destination: {host: reviews}}]
    retries: {attempts: 0}`).route.retry_policy).toBeUndefined();
  });
});

describe('consistent hashing (DestinationRule) on the route', () => {
  it.each([
    ['{httpHeaderName: x-user}', { header: { header_name: 'x-user' } }],
    ['{useSourceIp: true}', { connection_properties: { source_ip: true } }],
    ['{httpQueryParameterName: user}', { query_parameter: { name: 'user' } }],
    ['{httpCookie: {name: s, path: /shop}}', { cookie: { name: 's', path: '/shop' } }],
  ])('%s: the hash policy, and retries may pick the same host again', (hash, policy) => {
    const route = hashedRoute(hash);
    expect(route.hash_policy).toEqual([policy]);
    expect(route.retry_policy.retry_host_predicate).toBeUndefined();
  });

  it('without hashing: no hash policy, and retries go to other hosts', () => {
    const route = reviewsRoutes(compile([REVIEWS_SUBSETS]))[0].route;
    expect(route.hash_policy).toBeUndefined();
    expect(route.retry_policy.retry_host_predicate).toHaveLength(1);
  });

  it('per destination of a split, and on a VirtualService route', () => {
    const route = reviewsRoutes(
      compile([hashed('{httpHeaderName: x-user}'), reviewsVs(`  - route:
    - {destination: {host: reviews, subset: v1}, weight: 50}
    - {destination: {host: reviews, subset: v2}, weight: 50}`)]),
    )[0].route;
    expect(route.hash_policy).toEqual([{ header: { header_name: 'x-user' } }, { header: { header_name: 'x-user' } }]);
  });
});

describe('redirects, direct responses, faults, CORS', () => {
  it('a redirect without a path keeps it, with the code asked (301 by default)', () => {
    expect(only(`  - redirect: {authority: shop.example.com}`).redirect).toEqual({ host_redirect: 'shop.example.com', response_code: 'MOVED_PERMANENTLY' });
    expect(only(`  - redirect: {uri: /new, redirectCode: 308}`).redirect).toEqual({ path_redirect: '/new', response_code: 'PERMANENT_REDIRECT' });
  });

  it('a direct response with a string body, bytes, or none', () => {
    expect(only(`  - directResponse: {status: 503, body: {string: down}}`).direct_response).toEqual({ status: 503, body: { inline_string: 'down' } });
    expect(only(`  - directResponse: {status: 200, body: {bytes: aGk=}}`).direct_response).toEqual({ status: 200, body: { inline_bytes: 'aGk=' } });
    expect(only(`  - directResponse: {status: 204}`).direct_response).toEqual({ status: 204 });
  });

  it('a gRPC abort fault sends the gRPC status code', () => {
    const fault = only(`  - route: [{destination: {host: reviews}}]
    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 10}}}`).typed_per_filter_config['envoy.filters.http.fault'];
    expect(fault.abort).toEqual({ grpc_status: 14, percentage: { numerator: 100000, denominator: 'MILLION' } });
    expect(fault.delay).toBeUndefined();
  });

  it('a route without fault or CORS has no per-filter config', () => {
    expect(only(`  - route: [{destination: {host: reviews}}]`).typed_per_filter_config).toBeUndefined();
  });

  it('CORS: the deprecated allowOrigin list as exact matches; unmatched preflights forwarded unless IGNORE', () => {
    const cors = (policy: string) =>
      only(`  - route: [{destination: {host: reviews}}]
    corsPolicy: ${policy}`).typed_per_filter_config['envoy.filters.http.cors'];
    expect(cors('{allowOrigin: [https://a.example]}').allow_origin_string_match).toEqual([{ exact: 'https://a.example' }]);
    expect(cors('{allowOrigins: [{exact: https://a.example}], unmatchedPreflights: IGNORE}').forward_not_matching_preflights).toBe(false);
    expect(cors('{allowOrigins: [{exact: https://a.example}], unmatchedPreflights: FORWARD}').forward_not_matching_preflights).toBe(true);
    expect(cors('{allowOrigins: [{exact: https://a.example}]}')).not.toHaveProperty('forward_not_matching_preflights');
  });
});
