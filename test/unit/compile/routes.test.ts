import { describe, expect, it } from 'vitest';
import { compile, proxy, REVIEWS_SUBSETS, reviewsRoutes, reviewsVs, routeConfig, virtualHost } from './compile-helpers.ts';

const R = 'reviews.default.svc.cluster.local';

describe('sidecar virtual hosts', () => {
  it('a service without a VirtualService gets one round-robin route to all its versions, with Istio defaults', () => {
    const [route] = reviewsRoutes(compile([]));
    expect(route).toEqual({
      name: 'default',
      match: { prefix: '/' },
      route: {
        cluster: `outbound|9080||${R}`,
        timeout: '0s',
        retry_policy: {
          retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
          num_retries: 2,
          retriable_status_codes: [503],
          retry_host_predicate: [
            {
              name: 'envoy.retry_host_predicates.previous_hosts',
              typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' },
            },
          ],
          host_selection_retry_max_attempts: 5,
        },
      },
    });
  });

  it('domains: short name, NAME.NS, NAME.NS.svc and FQDN with the port; bare names only on port 80', () => {
    const c = compile([]);
    expect(virtualHost(c, `${R}:9080`).domains).toEqual([
      'reviews:9080',
      'reviews.default:9080',
      'reviews.default.svc:9080',
      `${R}:9080`,
    ]);
    expect(virtualHost(c, 'productpage.default.svc.cluster.local:80').domains).toEqual([
      'productpage',
      'productpage.default',
      'productpage.default.svc',
      'productpage.default.svc.cluster.local',
      'productpage:80',
      'productpage.default:80',
      'productpage.default.svc:80',
      'productpage.default.svc.cluster.local:80',
    ]);
  });

  it('one virtual host per HTTP service port, none for tcp ports; capture adds the passthrough host', () => {
    const hosts = routeConfig(proxy(compile([]), 'reviews-v1'), 'outbound').virtual_hosts.map((h: any) => h.name);
    expect(hosts).toEqual([
      'productpage.default.svc.cluster.local:80',
      'ratings.default.svc.cluster.local:9080',
      'ratings.default.svc.cluster.local:9090',
      `${R}:9080`,
      'allow_any',
    ]);
  });

  it('without capture every virtual host first terminates CONNECT into the tunnel (untraced: its requests are traced inside)', () => {
    const [connect] = reviewsRoutes(compile([], 'loopback'));
    expect(connect).toEqual({
      name: 'connect',
      match: { connect_matcher: {} },
      route: { cluster: 'outbound_tunnel', timeout: '0s', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] },
      tracing: { overall_sampling: { numerator: 0 } },
    });
  });
});

describe('VirtualService http routes', () => {
  it('weighted destinations become weighted_clusters over subset clusters', () => {
    const [route] = reviewsRoutes(
      compile([
        REVIEWS_SUBSETS,
        reviewsVs(`  - route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v2}, weight: 20}`),
      ]),
    );
    expect(route.name).toBe('reviews.0');
    expect(route.match).toEqual({ prefix: '/' });
    expect(route.route.weighted_clusters).toEqual({
      clusters: [
        { name: `outbound|9080|v1|${R}`, weight: 80 },
        { name: `outbound|9080|v2|${R}`, weight: 20 },
      ],
    });
    expect(route.stat_prefix).toBe('reviews.0');
  });

  it('each match block is one route, in order; first match wins', () => {
    const routes = reviewsRoutes(
      compile([
        REVIEWS_SUBSETS,
        reviewsVs(`  - name: jason
    match:
    - {name: user, headers: {end-user: {exact: jason}}}
    - {uri: {prefix: /beta}, ignoreUriCase: true}
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]`),
      ]),
    );
    expect(routes.map((r: any) => [r.name, r.match, r.route.cluster])).toEqual([
      ['jason.user', { prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] }, `outbound|9080|v2|${R}`],
      ['jason', { prefix: '/beta', case_sensitive: false }, `outbound|9080|v2|${R}`],
      ['reviews.1', { prefix: '/' }, `outbound|9080|v1|${R}`],
    ]);
  });

  it('match fields: uri exact/regex, headers prefix/regex/present, withoutHeaders, query, method, authority', () => {
    const routes = reviewsRoutes(
      compile([
        reviewsVs(`  - match:
    - uri: {exact: /login}
      method: {exact: POST}
      authority: {prefix: reviews}
      headers: {x-a: {prefix: pre}, x-b: {regex: "v[0-9]+"}, x-c: {}}
      withoutHeaders: {x-debug: {}}
      queryParams: {q: {exact: "1"}, r: {regex: "a.*"}}
    - uri: {regex: "/api/v[12]/.*"}
    route: [{destination: {host: reviews}}]`),
      ]),
    );
    expect(routes[0].match).toEqual({
      path: '/login',
      headers: [
        { name: 'x-a', string_match: { prefix: 'pre' } },
        { name: 'x-b', string_match: { safe_regex: { regex: 'v[0-9]+' } } },
        { name: 'x-c', present_match: true },
        { name: 'x-debug', present_match: true, invert_match: true },
        { name: ':method', string_match: { exact: 'POST' } },
        { name: ':authority', string_match: { prefix: 'reviews' } },
      ],
      query_parameters: [
        { name: 'q', string_match: { exact: '1' } },
        { name: 'r', string_match: { safe_regex: { regex: 'a.*' } } },
      ],
    });
    expect(routes[1].match).toEqual({ safe_regex: { regex: '/api/v[12]/.*' } });
  });

  it('match.port limits a route to that port of a multi-port service', () => {
    const c = compile([
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - match: [{port: 9090}]
    route: [{destination: {host: ratings, port: {number: 9090}}}]
    timeout: 5s
  - route: [{destination: {host: ratings}}]`,
    ]);
    const grpc = virtualHost(c, 'ratings.default.svc.cluster.local:9090').routes;
    const http = virtualHost(c, 'ratings.default.svc.cluster.local:9080').routes;
    expect(grpc.map((r: any) => [r.route.cluster, r.route.timeout])).toEqual([
      ['outbound|9090||ratings.default.svc.cluster.local', '5s'],
      ['outbound|9090||ratings.default.svc.cluster.local', '0s'], // no port: the listener's port
    ]);
    expect(http.map((r: any) => r.route.cluster)).toEqual(['outbound|9080||ratings.default.svc.cluster.local']);
  });

  it('timeout, retries with status codes, perTryTimeout and attempts: 0', () => {
    const routes = reviewsRoutes(
      compile([
        reviewsVs(`  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: reviews}}]
    timeout: 1.5s
    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "gateway-error,503,504", retryIgnorePreviousHosts: false}
  - match: [{uri: {prefix: /b}}]
    route: [{destination: {host: reviews}}]
    retries: {attempts: 0}
  - route: [{destination: {host: reviews}}]
    retries: {attempts: 4}`),
      ]),
    );
    expect(routes[0].route.timeout).toBe('1.5s');
    expect(routes[0].route.retry_policy).toEqual({
      retry_on: 'gateway-error,retriable-status-codes',
      num_retries: 3,
      retriable_status_codes: [503, 504],
      per_try_timeout: '0.5s',
      host_selection_retry_max_attempts: 5,
    });
    expect(routes[1].route.retry_policy).toBeUndefined();
    expect(routes[2].route.retry_policy).toMatchObject({
      retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
      num_retries: 4,
      retriable_status_codes: [503],
    });
  });

  it('fault delay and abort: per-route fault config, deprecated percent and percentage over a million', () => {
    const routes = reviewsRoutes(
      compile([
        reviewsVs(`  - match: [{uri: {prefix: /slow}}]
    fault: {delay: {fixedDelay: 7s, percent: 100}}
    route: [{destination: {host: reviews}}]
  - fault: {abort: {httpStatus: 500, percentage: {value: 12.5}}, delay: {fixedDelay: 100ms, percentage: {value: 0.1}}}
    route: [{destination: {host: reviews}}]`),
      ]),
    );
    const fault = (r: any) => r.typed_per_filter_config['envoy.filters.http.fault'];
    expect(fault(routes[0])).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      delay: { fixed_delay: '7s', percentage: { numerator: 1_000_000, denominator: 'MILLION' } },
    });
    expect(fault(routes[1])).toMatchObject({
      delay: { fixed_delay: '0.1s', percentage: { numerator: 1000, denominator: 'MILLION' } },
      abort: { http_status: 500, percentage: { numerator: 125_000, denominator: 'MILLION' } },
    });
  });

  it('mirror with mirrorPercentage, deprecated mirrorPercent, and mirrors', () => {
    const routes = reviewsRoutes(
      compile([
        REVIEWS_SUBSETS,
        reviewsVs(`  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: reviews, subset: v1}}]
    mirror: {host: reviews, subset: v2}
    mirrorPercentage: {value: 25}
  - match: [{uri: {prefix: /b}}]
    route: [{destination: {host: reviews, subset: v1}}]
    mirror: {host: reviews, subset: v3}
    mirrorPercent: 10
  - route: [{destination: {host: reviews, subset: v1}}]
    mirrors:
    - {destination: {host: reviews, subset: v2}}
    - {destination: {host: ratings}, percentage: {value: 5}}`),
      ]),
    );
    const mirrors = routes.map((r: any) =>
      r.route.request_mirror_policies.map((m: any) => [m.cluster, m.runtime_fraction.default_value.numerator]),
    );
    expect(mirrors).toEqual([
      [[`outbound|9080|v2|${R}`, 250_000]],
      [[`outbound|9080|v3|${R}`, 100_000]],
      [
        [`outbound|9080|v2|${R}`, 1_000_000],
        ['outbound|9080||ratings.default.svc.cluster.local', 50_000],
      ],
    ]);
  });

  it('rewrite uri, uriRegexRewrite and authority', () => {
    const routes = reviewsRoutes(
      compile([
        reviewsVs(`  - match: [{uri: {prefix: /old}}]
    rewrite: {uri: /new, authority: reviews.internal}
    route: [{destination: {host: reviews}}]
  - rewrite: {uriRegexRewrite: {match: "^/v1/(.*)$", rewrite: "/\\\\1"}}
    route: [{destination: {host: reviews}}]`),
      ]),
    );
    expect(routes[0].route).toMatchObject({ prefix_rewrite: '/new', host_rewrite_literal: 'reviews.internal' });
    expect(routes[1].route.regex_rewrite).toEqual({ pattern: { regex: '^/v1/(.*)$' }, substitution: '/\\1' });
  });

  it('redirect and direct response', () => {
    const routes = reviewsRoutes(
      compile([
        reviewsVs(`  - match: [{uri: {exact: /old}}]
    redirect: {uri: /new, authority: example.com, port: 8443, scheme: https, redirectCode: 308}
  - match: [{uri: {exact: /gone}}]
    redirect: {uri: /elsewhere}
  - directResponse: {status: 503, body: {string: "down for maintenance"}}`),
      ]),
    );
    expect(routes[0].redirect).toEqual({
      path_redirect: '/new',
      host_redirect: 'example.com',
      port_redirect: 8443,
      scheme_redirect: 'https',
      response_code: 'PERMANENT_REDIRECT',
    });
    expect(routes[1].redirect).toEqual({ path_redirect: '/elsewhere', response_code: 'MOVED_PERMANENTLY' });
    expect(routes[2].direct_response).toEqual({ status: 503, body: { inline_string: 'down for maintenance' } });
    expect(routes[2].route).toBeUndefined();
  });

  it('headers: route level and per destination (single → merged into the route, weighted → on the cluster)', () => {
    const routes = reviewsRoutes(
      compile([
        REVIEWS_SUBSETS,
        reviewsVs(`  - match: [{uri: {prefix: /one}}]
    headers:
      request: {set: {x-route: r}, remove: [x-secret]}
      response: {add: {x-served-by: mesh}}
    route:
    - destination: {host: reviews, subset: v1}
      headers: {request: {add: {x-dest: d}}}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 50
      headers: {response: {set: {x-version: v1}}, request: {set: {host: v1.reviews}}}
    - {destination: {host: reviews, subset: v2}, weight: 50}`),
      ]),
    );
    expect(routes[0]).toMatchObject({
      request_headers_to_add: [
        { header: { key: 'x-route', value: 'r' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
        { header: { key: 'x-dest', value: 'd' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
      ],
      request_headers_to_remove: ['x-secret'],
      response_headers_to_add: [{ header: { key: 'x-served-by', value: 'mesh' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' }],
    });
    expect(routes[1].route.weighted_clusters.clusters[0]).toEqual({
      name: `outbound|9080|v1|${R}`,
      weight: 50,
      response_headers_to_add: [{ header: { key: 'x-version', value: 'v1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
      host_rewrite_literal: 'v1.reviews',
    });
  });

  it('corsPolicy: per-route CORS config with allowOrigins matchers and the deprecated allowOrigin', () => {
    const routes = reviewsRoutes(
      compile([
        reviewsVs(`  - match: [{uri: {prefix: /a}}]
    corsPolicy:
      allowOrigins: [{exact: "https://a.example"}, {regex: "https://.*\\\\.b\\\\.example"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-a]
      exposeHeaders: [x-b]
      maxAge: 24h
      allowCredentials: true
    route: [{destination: {host: reviews}}]
  - corsPolicy: {allowOrigin: ["https://old.example"]}
    route: [{destination: {host: reviews}}]`),
      ]),
    );
    const cors = (r: any) => r.typed_per_filter_config['envoy.filters.http.cors'];
    expect(cors(routes[0])).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
      allow_origin_string_match: [{ exact: 'https://a.example' }, { safe_regex: { regex: 'https://.*\\.b\\.example' } }],
      allow_methods: 'GET,POST',
      allow_headers: 'x-a',
      expose_headers: 'x-b',
      max_age: '86400',
      allow_credentials: true,
      filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
    });
    expect(cors(routes[1]).allow_origin_string_match).toEqual([{ exact: 'https://old.example' }]);
  });

  it('consistent hashing in the DestinationRule puts a hash policy on the route and drops previous-hosts retry', () => {
    const routes = reviewsRoutes(
      compile([
        `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: user, ttl: 60s}}}}
  subsets:
  - {name: v1, labels: {version: v1}, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}}`,
      ]),
    );
    expect(routes[0].route.hash_policy).toEqual([{ cookie: { name: 'user', ttl: '60s' } }]);
    expect(routes[0].route.retry_policy.retry_host_predicate).toBeUndefined();
  });

  it('gateway-only matches and routes do not reach sidecars', () => {
    const routes = reviewsRoutes(
      compile([
        `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers: [{port: {number: 80, name: http-80, protocol: HTTP}, hosts: ["*"]}]`,
        reviewsVs(
          `  - match: [{gateways: [gw], uri: {prefix: /from-gateway}}]
    route: [{destination: {host: reviews}}]
    timeout: 1s
  - route: [{destination: {host: reviews}}]`,
          '\n  gateways: [gw, mesh]',
        ),
      ]),
    );
    expect(routes.map((r: any) => r.route.timeout)).toEqual(['0s']);
  });
});

describe('sourceLabels', () => {
  const vs = reviewsVs(`  - match: [{sourceLabels: {app: productpage}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]`);

  it('a match with sourceLabels applies only in sidecars whose labels match', () => {
    const c = compile([REVIEWS_SUBSETS, vs]);
    expect(reviewsRoutes(c, 'productpage-v1').map((r: any) => r.route.cluster)).toEqual([`outbound|9080|v2|${R}`, `outbound|9080|v1|${R}`]);
    expect(reviewsRoutes(c, 'ratings-v1').map((r: any) => r.route.cluster)).toEqual([`outbound|9080|v1|${R}`]);
  });

  it('sidecars with the same result share one route configuration object', () => {
    const c = compile([REVIEWS_SUBSETS, vs]);
    const routes = (id: string) => proxy(c, id).routes[0];
    expect(routes('ratings-v1')).toBe(routes('reviews-v2'));
    expect(routes('ratings-v1')).not.toBe(routes('productpage-v1'));
  });
});

describe('gateway routes', () => {
  const GW = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers: [{port: {number: 80, name: http-80, protocol: HTTP}, hosts: ["*"]}]`;
  const edge = (name: string, host: string, http: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: [${host}]
  gateways: [gw]
  http:
${http}`;
  const gatewayHosts = (docs: string[]) => routeConfig(proxy(compile([REVIEWS_SUBSETS, GW, ...docs]), 'mesh-gateway'), 'http.80').virtual_hosts;
  const clusters = (host: any) => host.routes.map((r: any) => r.route?.cluster ?? r.name);

  it('a VirtualService without the gateway is not exposed on the ingress, even for a host the server takes', () => {
    const hosts = gatewayHosts([
      reviewsVs(`  - route: [{destination: {host: reviews, subset: v2}}]`),
      edge('shop', 'shop.example.com', `  - route: [{destination: {host: productpage}}]`),
    ]);
    expect(hosts.map((h: any) => h.name)).toEqual(['shop.example.com:80']);
  });

  it('per match: `gateways` says where it applies; `sourceLabels` never applies at a gateway', () => {
    const c = compile([
      REVIEWS_SUBSETS,
      GW,
      reviewsVs(
        `  - match: [{gateways: [mesh], uri: {prefix: /mesh}}]
    route: [{destination: {host: reviews, subset: v1}}]
  - match: [{sourceLabels: {app: productpage}, uri: {prefix: /labels}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - match: [{gateways: [default/gw], uri: {prefix: /edge}}, {gateways: [mesh], uri: {prefix: /mesh-too}}]
    route: [{destination: {host: reviews, subset: v3}}]
  - route: [{destination: {host: reviews}}]`,
        '\n  gateways: [gw, mesh]',
      ),
    ]);
    const [atGateway] = routeConfig(proxy(c, 'mesh-gateway'), 'http.80').virtual_hosts;
    expect(atGateway.routes.map((r: any) => r.match.prefix)).toEqual(['/edge', '/']);
    expect(reviewsRoutes(c, 'productpage-v1').map((r: any) => r.match.prefix)).toEqual(['/mesh', '/labels', '/mesh-too', '/']);
    expect(reviewsRoutes(c, 'ratings-v1').map((r: any) => r.match.prefix)).toEqual(['/mesh', '/mesh-too', '/']);
  });

  it('two VirtualServices for one gateway host are merged, in file order (as Istio does at gateways)', () => {
    const hosts = gatewayHosts([
      edge('shop-reviews', 'shop.example.com', `  - match: [{uri: {prefix: /reviews}}]
    route: [{destination: {host: reviews, subset: v1}}]`),
      edge('shop-pages', 'shop.example.com', `  - route: [{destination: {host: productpage}}]`),
    ]);
    expect(hosts.map((h: any) => h.name)).toEqual(['shop.example.com:80']);
    expect(clusters(hosts[0])).toEqual([`outbound|9080|v1|${R}`, 'outbound|80||productpage.default.svc.cluster.local']);
  });

  it('a VirtualService whose routes all apply elsewhere adds no host to the gateway', () => {
    const hosts = gatewayHosts([
      edge('shop', 'shop.example.com', `  - match: [{port: 8080, uri: {prefix: /}}]
    route: [{destination: {host: productpage}}]`),
    ]);
    expect(hosts).toEqual([]);
  });
});
