// The offline evaluator of Envoy route configurations: each rule of Envoy's matching, on
// hand-written RouteConfigurations (what real Envoy does with random ones is in
// test/integration/route-eval.test.ts).
import { describe, expect, it } from 'vitest';
import { evaluateRoute, findVirtualHost, type HttpRequest, type RouteDecision } from '../../../src/compile/route-eval.ts';
import type { EnvoyJson } from '../../../src/envoy/snapshot.ts';

const req = (over: Partial<HttpRequest> = {}): HttpRequest => ({ authority: 'svc:80', path: '/', method: 'GET', headers: {}, ...over });
const to = (cluster: string) => ({ route: { cluster, timeout: '0s' } });
const config = (routes: EnvoyJson[], domains = ['*']): EnvoyJson => ({ virtual_hosts: [{ name: 'vh', domains, routes }] });
const cluster = (d: RouteDecision) => (d.kind === 'forward' ? d.targets.map((t) => t.cluster).join(',') : d.kind);

describe('virtual host selection', () => {
  const vhosts = (domains: string[][]) => domains.map((d, i) => ({ name: `v${i}`, domains: d }));
  const pick = (domains: string[][], host: string) => findVirtualHost(vhosts(domains), host)?.['name'];

  it('exact, then the longest suffix wildcard, the longest prefix wildcard, then *', () => {
    const all = [['*'], ['foo.*'], ['*.com'], ['*.foo.com'], ['www.foo.com']];
    expect(pick(all, 'www.foo.com')).toBe('v4');
    expect(pick(all, 'api.foo.com')).toBe('v3');
    expect(pick(all, 'bar.com')).toBe('v2');
    expect(pick(all, 'foo.org')).toBe('v1');
    expect(pick(all, 'other')).toBe('v0');
    expect(pick([['*.com'], ['foo.*']], 'foo.com')).toBe('v0'); // suffix wildcards before prefix ones
  });

  it('compares the host without case and with its port', () => {
    expect(pick([['reviews:9080']], 'Reviews:9080')).toBe('v0');
    expect(pick([['reviews:9080']], 'reviews')).toBeUndefined();
    expect(pick([['reviews:9080']], 'reviews:9081')).toBeUndefined();
    expect(pick([['shop.example.com:*']], 'shop.example.com:8081')).toBe('v0');
    expect(pick([['shop.example.com:*']], 'shop.example.com')).toBeUndefined();
  });

  it('a wildcard stands for at least one character', () => {
    expect(pick([['*.foo.com']], '.foo.com')).toBeUndefined();
    expect(pick([['foo.*']], 'foo.')).toBeUndefined();
  });

  it('no virtual host and no route are two different 404s', () => {
    expect(evaluateRoute(config([{ match: { prefix: '/a' }, ...to('c') }], ['x']), req()).kind).toBe('no-virtual-host');
    expect(evaluateRoute(config([{ match: { prefix: '/a' }, ...to('c') }]), req()).kind).toBe('no-route');
  });
});

describe('route matching', () => {
  it('first match wins', () => {
    const c = config([{ match: { prefix: '/' }, ...to('first') }, { match: { path: '/x' }, ...to('second') }]);
    expect(cluster(evaluateRoute(c, req({ path: '/x' })))).toBe('first');
  });

  it('prefix, path and safe_regex see the path without its query (real Envoy: a prefix with ? never matches)', () => {
    const c = config([
      { match: { prefix: '/a?x' }, ...to('never') },
      { match: { prefix: '/a' }, ...to('prefix') },
      { match: { path: '/b' }, ...to('path') },
      { match: { safe_regex: { regex: '/c[0-9]+' } }, ...to('regex') },
    ]);
    expect(cluster(evaluateRoute(c, req({ path: '/a?x=1' })))).toBe('prefix');
    expect(cluster(evaluateRoute(c, req({ path: '/b?x=1' })))).toBe('path');
    expect(cluster(evaluateRoute(c, req({ path: '/c12?q' })))).toBe('regex');
    expect(evaluateRoute(c, req({ path: '/c12x' })).kind).toBe('no-route'); // the whole path must match
    expect(evaluateRoute(c, req({ path: '/bb' })).kind).toBe('no-route');
  });

  it('case_sensitive: false folds prefix and path but not safe_regex (Envoy ignores it there)', () => {
    const c = config([
      { match: { prefix: '/Api', case_sensitive: false }, ...to('prefix') },
      { match: { safe_regex: { regex: '/web' }, case_sensitive: false }, ...to('regex') },
    ]);
    expect(cluster(evaluateRoute(c, req({ path: '/api/v1' })))).toBe('prefix');
    expect(cluster(evaluateRoute(c, req({ path: '/web' })))).toBe('regex');
    expect(evaluateRoute(c, req({ path: '/WEB' })).kind).toBe('no-route');
  });

  it('regexes are RE2: full match, RE2 syntax', () => {
    const c = config([{ match: { safe_regex: { regex: '/(?i)abc|/x{2}' } }, ...to('re') }]);
    expect(cluster(evaluateRoute(c, req({ path: '/ABC' })))).toBe('re');
    expect(cluster(evaluateRoute(c, req({ path: '/xx' })))).toBe('re');
    expect(evaluateRoute(c, req({ path: '/xxx' })).kind).toBe('no-route');
  });

  it('header matchers: exact, prefix, suffix, contains, regex, present, inverted, pseudo-headers', () => {
    const on = (headers: EnvoyJson[]) => config([{ match: { prefix: '/', headers }, ...to('hit') }]);
    const hit = (headers: EnvoyJson[], r: Partial<HttpRequest>) => evaluateRoute(on(headers), req(r)).kind === 'forward';
    const h = (v: Record<string, string>) => ({ headers: v });
    expect(hit([{ name: 'end-user', string_match: { exact: 'tester' } }], h({ 'end-user': 'tester' }))).toBe(true);
    expect(hit([{ name: 'end-user', string_match: { exact: 'tester' } }], h({ 'end-user': 'Tester' }))).toBe(false);
    expect(hit([{ name: 'end-user', string_match: { exact: 'tester', ignore_case: true } }], h({ 'end-user': 'Tester' }))).toBe(true);
    expect(hit([{ name: 'x', string_match: { prefix: 'ab' } }], h({ x: 'abc' }))).toBe(true);
    expect(hit([{ name: 'x', string_match: { suffix: 'bc' } }], h({ x: 'abc' }))).toBe(true);
    expect(hit([{ name: 'x', string_match: { contains: 'b' } }], h({ x: 'abc' }))).toBe(true);
    expect(hit([{ name: 'x', string_match: { safe_regex: { regex: 'a.' } } }], h({ x: 'abc' }))).toBe(false);
    expect(hit([{ name: 'x', present_match: true }], h({ x: '' }))).toBe(true);
    expect(hit([{ name: 'x', present_match: true }], {})).toBe(false);
    expect(hit([{ name: 'x', present_match: true, invert_match: true }], {})).toBe(true);
    // A missing header fails a string match, and the inverted match then holds.
    expect(hit([{ name: 'x', string_match: { exact: 'a' } }], {})).toBe(false);
    expect(hit([{ name: 'x', string_match: { exact: 'a' }, invert_match: true }], {})).toBe(true);
    expect(hit([{ name: 'X-Mixed', string_match: { exact: 'a' } }], h({ 'x-mixed': 'a' }))).toBe(true);
    expect(hit([{ name: ':method', string_match: { exact: 'POST' } }], { method: 'POST' })).toBe(true);
    expect(hit([{ name: ':authority', string_match: { prefix: 'svc' } }], {})).toBe(true);
    expect(hit([{ name: ':scheme', string_match: { exact: 'http' } }], {})).toBe(true);
  });

  it('query parameters: first value, as sent (not percent-decoded); present; absent fails', () => {
    const on = (query_parameters: EnvoyJson[]) => config([{ match: { prefix: '/', query_parameters }, ...to('hit') }]);
    const hit = (q: EnvoyJson[], path: string) => evaluateRoute(on(q), req({ path })).kind === 'forward';
    expect(hit([{ name: 'a', string_match: { exact: 'x%20y' } }], '/?a=x%20y&a=z')).toBe(true);
    expect(hit([{ name: 'a', string_match: { exact: 'x y' } }], '/?a=x%20y')).toBe(false);
    expect(hit([{ name: 'a', string_match: { exact: 'z' } }], '/?a=x&a=z')).toBe(false);
    expect(hit([{ name: 'a', present_match: true }], '/?b=1&a')).toBe(true);
    expect(hit([{ name: 'a', string_match: { prefix: '' } }], '/?b=1')).toBe(false);
  });

  it('a fragment in the path is rejected with 400 before routing, as Envoy\'s connection manager does', () => {
    expect(evaluateRoute(config([{ match: { prefix: '/' }, ...to('c') }]), req({ path: '/a#b' }))).toMatchObject({ kind: 'rejected', status: 400 });
  });

  it('paths are not normalised: /a/../b and //a are matched as sent', () => {
    const c = config([{ match: { prefix: '/b' }, ...to('b') }, { match: { prefix: '//' }, ...to('double') }]);
    expect(evaluateRoute(c, req({ path: '/a/../b' })).kind).toBe('no-route');
    expect(cluster(evaluateRoute(c, req({ path: '//a' })))).toBe('double');
  });

  it('CONNECT requests only match connect_matcher routes', () => {
    const c = config([{ match: { connect_matcher: {} }, ...to('tunnel') }, { match: { prefix: '/' }, ...to('http') }]);
    expect(cluster(evaluateRoute(c, req({ method: 'CONNECT' })))).toBe('tunnel');
    expect(cluster(evaluateRoute(c, req()))).toBe('http');
  });
});

describe('route actions', () => {
  it('weighted clusters: shares of the total, zero weights left out, per-cluster host rewrite', () => {
    const c = config([
      {
        match: { prefix: '/' },
        route: { weighted_clusters: { clusters: [{ name: 'a', weight: 30 }, { name: 'b', weight: 0 }, { name: 'c', weight: 90, host_rewrite_literal: 'c.example' }] } },
      },
    ]);
    const d = evaluateRoute(c, req());
    expect(d.kind === 'forward' && d.targets.map((t) => [t.cluster, t.percent, t.authority])).toEqual([['a', 25, 'svc:80'], ['c', 75, 'c.example']]);
  });

  it('prefix_rewrite replaces what matched; regex_rewrite substitutes every match and keeps the query', () => {
    const rewrite = (match: EnvoyJson, action: EnvoyJson, path: string) => {
      const d = evaluateRoute(config([{ match, route: { cluster: 'c', ...action } }]), req({ path }));
      return d.kind === 'forward' ? d.path : d.kind;
    };
    expect(rewrite({ prefix: '/old' }, { prefix_rewrite: '/new' }, '/old/x?q=1')).toBe('/new/x?q=1');
    expect(rewrite({ path: '/a' }, { prefix_rewrite: '/b' }, '/a?q')).toBe('/b?q');
    expect(rewrite({ prefix: '/' }, { regex_rewrite: { pattern: { regex: '/v([0-9])' }, substitution: '/version\\1' } }, '/v1/v2?q=/v3')).toBe('/version1/version2?q=/v3');
  });

  it('redirects: Location from scheme, host, port and path; the query kept', () => {
    const location = (redirect: EnvoyJson, r: Partial<HttpRequest> = {}) => {
      const d = evaluateRoute(config([{ match: { prefix: '/' }, redirect }]), req(r));
      return d.kind === 'redirect' ? [d.status, d.location] : d.kind;
    };
    expect(location({ path_redirect: '/', response_code: 'MOVED_PERMANENTLY' }, { path: '/old?x=1', authority: 'shop' })).toEqual([301, 'http://shop/?x=1']);
    expect(location({ host_redirect: 'b.com', scheme_redirect: 'https', response_code: 'FOUND' })).toEqual([302, 'https://b.com/']);
    expect(location({ port_redirect: 8443, response_code: 'TEMPORARY_REDIRECT' }, { authority: 'a.com:80', path: '/p' })).toEqual([307, 'http://a.com:8443/p']);
  });

  it('direct responses, faults, retries, timeout, mirrors and header operations in Envoy order', () => {
    const d = evaluateRoute(
      {
        request_headers_to_add: [{ header: { key: 'from', value: 'config' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' }],
        virtual_hosts: [
          {
            name: 'vh',
            domains: ['*'],
            request_headers_to_add: [{ header: { key: 'from', value: 'vhost' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
            routes: [
              {
                name: 'r',
                match: { prefix: '/' },
                request_headers_to_add: [{ header: { key: 'from', value: 'route' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
                response_headers_to_remove: ['server'],
                route: {
                  cluster: 'c',
                  timeout: '2.5s',
                  retry_policy: { retry_on: 'connect-failure,retriable-status-codes', num_retries: 3, retriable_status_codes: [503], per_try_timeout: '1s' },
                  request_mirror_policies: [{ cluster: 'm', runtime_fraction: { default_value: { numerator: 250000, denominator: 'MILLION' } } }],
                },
                typed_per_filter_config: {
                  'envoy.filters.http.fault': { delay: { fixed_delay: '0.5s', percentage: { numerator: 10, denominator: 'HUNDRED' } }, abort: { http_status: 503, percentage: { numerator: 50000, denominator: 'MILLION' } } },
                },
              },
            ],
          },
        ],
      },
      req(),
    );
    expect(d).toMatchObject({
      kind: 'forward',
      route: 'r',
      timeoutMs: 2500,
      retries: { attempts: 3, retryOn: ['connect-failure', 'retriable-status-codes', '503'], perTryTimeoutMs: 1000 },
      mirrors: [{ cluster: 'm', percent: 25 }],
      fault: { delay: { ms: 500, percent: 10 }, abort: { httpStatus: 503, percent: 5 } },
      headers: { requestAdd: [{ value: 'route' }, { value: 'vhost' }, { value: 'config', append: true }], responseRemove: ['server'] },
    });
    const direct = evaluateRoute(config([{ match: { prefix: '/' }, direct_response: { status: 418, body: { inline_string: 'teapot' } } }]), req());
    expect(direct).toMatchObject({ kind: 'direct', status: 418, body: 'teapot' });
  });
});
