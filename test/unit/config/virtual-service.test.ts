// What a VirtualService means, checked against the mesh, with the exact place of each finding.
import { describe, expect, it } from 'vitest';
import { diagnostics, hints, REVIEWS_RULE } from './fixtures.ts';

const HEAD = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
`;

/** A VirtualService for reviews with the given `http:` entries (written from line 7). */
function vs(http: string) {
  return { 'dr.yaml': REVIEWS_RULE, 'vs.yaml': `${HEAD}  http:\n${http}` };
}

describe('VirtualService destinations', () => {
  it('accepts routes to defined hosts, subsets and ports', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews, subset: v1}
      weight: 90
    - destination: {host: reviews.default.svc.cluster.local, subset: v2, port: {number: 9080}}
      weight: 10
`))).toEqual([]);
  });

  it('reports a host that is not in the mesh, with the nearest service', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reveiws}
`))).toEqual([
      "vs.yaml:8:27 error: destination host 'reveiws' is not a service of the mesh; did you mean 'reviews'?",
    ]);
  });

  it('resolves a short host in the VirtualService namespace, not the mesh default', () => {
    const files = vs(`  - route:\n    - destination: {host: reviews}\n`);
    files['vs.yaml'] = files['vs.yaml']!.replace('{name: reviews}', '{name: reviews, namespace: shop}');
    expect(diagnostics(files, 'error')).toEqual([
      "vs.yaml:8:27 error: destination host 'reviews' means reviews.shop.svc.cluster.local, which is not a service of the mesh; did you mean reviews.default.svc.cluster.local?",
    ]);
  });

  it('reports a subset no DestinationRule defines, with the rule to add', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews, subset: v3}
`))).toEqual([
      "vs.yaml:8:44 error: subset 'v3' is not defined by DestinationRule reviews for reviews",
    ]);
    expect(hints(vs(`  - route:\n    - destination: {host: reviews, subset: v3}\n`))).toEqual([
      'define the subset in a DestinationRule for reviews: subsets: [{name: v3, labels: {version: v3}}]',
    ]);
  });

  it('reports a subset of a service without a DestinationRule', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: ratings, subset: v1, port: {number: 9080}}
`))).toEqual([
      "vs.yaml:8:44 error: subset 'v1' of ratings is not defined: no DestinationRule for ratings",
    ]);
  });

  it('reports a port the service does not expose', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews, port: {number: 9090}}
`))).toEqual(['vs.yaml:8:51 error: service reviews does not expose port 9090']);
  });

  it('requires destination.port for a service with several ports only behind a gateway', () => {
    const gateway = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web}
spec:
  servers:
  - port: {number: 80, protocol: HTTP, name: http}
    hosts: ["*"]
`;
    const route = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ingress}
spec:
  hosts: ["*"]
  gateways: [web]
  http:
  - route:
    - destination: {host: ratings}
`;
    expect(diagnostics({ 'gw.yaml': gateway, 'vs.yaml': route })).toEqual([
      'vs.yaml:9:20 error: service ratings has several ports (9080, 9090); a route from a gateway must choose one',
    ]);
    // In the sidecars the request's own port picks the service port, as in Istio.
    expect(diagnostics(vs(`  - route:\n    - destination: {host: ratings}\n`))).toEqual([]);
  });

  it('checks mirror destinations too', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    mirror: {host: nowhere}
`))).toEqual(["vs.yaml:9:20 error: destination host 'nowhere' is not a service of the mesh"]);
  });
});

describe('VirtualService weights', () => {
  it('warns when the weights do not add up to 100 (Istio splits in proportion)', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews, subset: v1}
      weight: 80
    - destination: {host: reviews, subset: v2}
      weight: 10
`))).toEqual(['vs.yaml:7:5 warning: the weights of spec.http[0].route add up to 90, not 100; traffic is split in proportion to them']);
  });

  it('rejects several destinations with a total weight of 0, as Istio does', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews, subset: v1}
    - destination: {host: reviews, subset: v2}
`))).toEqual(['vs.yaml:7:5 error: the destinations of spec.http[0].route have a total weight of 0, so none gets traffic']);
  });

  it('lets a single destination omit its weight', () => {
    expect(diagnostics(vs(`  - route:\n    - destination: {host: reviews, subset: v1}\n`))).toEqual([]);
  });

  it('rejects a negative weight', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews, subset: v1}
      weight: 110
    - destination: {host: reviews, subset: v2}
      weight: -10
`))).toEqual(['vs.yaml:11:15 error: weight -10 is negative']);
  });
});

describe('VirtualService HTTP routes', () => {
  it('rejects a route with none of route, redirect, directResponse', () => {
    expect(diagnostics(vs(`  - match: [{uri: {prefix: /a}}]\n`))).toEqual([
      'vs.yaml:7:5 error: the HTTP route spec.http[0] does nothing: give it a route, a redirect or a directResponse',
    ]);
  });

  it('rejects redirect and route together', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    redirect: {uri: /b}
`))).toEqual([
      'vs.yaml:9:5 error: the HTTP route spec.http[0] has both route and redirect; it takes exactly one of route, redirect or directResponse',
    ]);
  });

  it('reports a bad duration', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    timeout: 10
`))).toEqual(["vs.yaml:9:14 error: VirtualService spec.http[0].timeout: expected a string, got a number (10)"]);
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    timeout: 10sec
`))).toEqual(["vs.yaml:9:14 error: '10sec' at spec.http[0].timeout is not a duration"]);
  });

  it('rejects a regex Envoy (RE2) would reject', () => {
    expect(diagnostics(vs(`  - match:
    - uri: {regex: "/api/(?!admin).*"}
    route:
    - destination: {host: reviews}
`))).toEqual([
      "vs.yaml:8:20 error: regex '/api/(?!admin).*' at spec.http[0].match[0].uri.regex is not valid for Envoy (RE2): error parsing regexp: invalid or unsupported Perl syntax: `(?!`",
    ]);
  });

  it('rejects a string match with two forms', () => {
    expect(diagnostics(vs(`  - match:
    - headers: {end-user: {exact: jason, prefix: j}}
    route:
    - destination: {host: reviews}
`))).toEqual([
      'vs.yaml:8:42 error: spec.http[0].match[0].headers.end-user sets exact and prefix; a string match takes exactly one of exact, prefix or regex',
    ]);
  });

  it('rejects retryOn values Envoy does not know', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    retries: {attempts: 3, retryOn: "5xx,connect-failures,503"}
`))).toEqual(["vs.yaml:9:37 error: 'connect-failures' is not a valid retryOn condition; did you mean 'connect-failure'?"]);
  });
});

describe('VirtualService faults and percentages', () => {
  it('rejects percentages outside 0–100 in every form', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    fault:
      delay: {fixedDelay: 1s, percentage: {value: 120}}
      abort: {httpStatus: 503, percent: -1}
    mirror: {host: reviews}
    mirrorPercent: 101
    mirrorPercentage: {value: 200}
`))).toEqual([
      'vs.yaml:10:51 error: spec.http[0].fault.delay.percentage.value is 120; a percentage must be between 0 and 100',
      'vs.yaml:11:41 error: spec.http[0].fault.abort.percent is -1; a percentage must be between 0 and 100',
      'vs.yaml:13:20 error: spec.http[0].mirrorPercent is 101; a percentage must be between 0 and 100',
      'vs.yaml:14:31 error: spec.http[0].mirrorPercentage.value is 200; a percentage must be between 0 and 100',
    ]);
  });

  it('rejects an abort status outside 200–599', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    fault: {abort: {httpStatus: 600}}
`))).toEqual(['vs.yaml:9:33 error: abort httpStatus 600 is not an HTTP status between 200 and 599']);
  });

  it('rejects a delay without fixedDelay', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    fault:
      delay: {percentage: {value: 10}}
`))).toEqual(['vs.yaml:10:7 error: a fault delay needs fixedDelay']);
  });

  it('rejects a fault with neither delay nor abort, and an abort without a status', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    fault: {}
`))).toEqual(['vs.yaml:9:5 error: a fault needs a delay, an abort or both']);
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    fault:
      abort: {percentage: {value: 10}}
`))).toEqual(['vs.yaml:10:7 error: a fault abort needs httpStatus']);
  });

  it('rejects the fault forms Istio rejects (http2Error, exponentialDelay), and applies grpcStatus', () => {
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    fault:
      abort: {http2Error: REFUSED_STREAM}
`))).toEqual([
      'vs.yaml:10:15 error: an HTTP/2 error abort is not supported (Istio rejects it too)',
    ]);
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    fault:
      delay: {exponentialDelay: 1s}
`))).toEqual([
      'vs.yaml:10:15 error: exponentialDelay is not supported (Istio rejects it too)',
    ]);
    expect(diagnostics(vs(`  - route:
    - destination: {host: reviews}
    fault:
      abort: {grpcStatus: UNAVAILABLE}
`))).toEqual([]);
  });
});

describe('VirtualService features not supported yet', () => {
  it('notes that TLS routes for the sidecars are not applied, and checks their SNI hosts', () => {
    const files = { 'vs.yaml': `${HEAD}  tls:\n  - match: [{sniHosts: [reviews]}]\n    route: [{destination: {host: reviews}}]\n` };
    expect(diagnostics(files)).toEqual(['vs.yaml:6:3 warning: TLS routes (spec.tls) for mesh services are applied at gateways only by localmesh: the sidecars do not route them by SNI yet']);
    const other = { 'vs.yaml': `${HEAD}  tls:\n  - match: [{sniHosts: [ratings]}]\n    route: [{destination: {host: reviews}}]\n` };
    expect(diagnostics(other)).toContain("vs.yaml:7:25 error: SNI host 'ratings' is not one of the hosts of VirtualService reviews (reviews)");
  });

  it('rejects delegation', () => {
    expect(diagnostics(vs(`  - delegate: {name: reviews-routes}\n`))).toEqual([
      'vs.yaml:7:5 error: VirtualService delegation (delegate) is not supported yet by localmesh',
    ]);
  });
});

describe('VirtualService hosts and gateways', () => {
  it('reports a gateway that is not defined', () => {
    const files = { 'vs.yaml': `${HEAD}  gateways: [mesh, web]\n  http:\n  - route: [{destination: {host: reviews}}]\n` };
    expect(diagnostics(files)).toEqual(["vs.yaml:6:20 error: gateway 'web' is not defined"]);
  });

  it('warns about a sidecar host that is not a service of the mesh', () => {
    const files = { 'vs.yaml': `${HEAD.replace('[reviews]', '[reviews, shop.example.com]')}  http:\n  - route: [{destination: {host: reviews}}]\n` };
    expect(diagnostics(files)).toEqual([
      "vs.yaml:5:20 warning: host 'shop.example.com' is not a service of the mesh, so this VirtualService does nothing for it in the sidecars",
    ]);
  });
});
