// Hosts as Istio reads them (pilot/pkg/model ResolveShortnameToFQDN): only a single-label name is
// short and expanded in the namespace of the rule naming it; a host with a dot, `*` and an IP
// address are taken as written, so `httpbin.org` is an external name and `reviews.default` is
// not the service reviews.default.svc.cluster.local.
import { describe, expect, it } from 'vitest';
import { hostFqdn } from '../../../src/config/model.ts';
import { diagnostics, hints, REVIEWS_RULE } from './fixtures.ts';

describe('hostFqdn', () => {
  it.each([
    ['reviews', 'shop', 'reviews.shop.svc.cluster.local'],
    ['reviews.default', 'shop', 'reviews.default'],
    ['httpbin.org', 'shop', 'httpbin.org'],
    ['reviews.default.svc', 'shop', 'reviews.default.svc'],
    ['reviews.default.svc.cluster.local', 'shop', 'reviews.default.svc.cluster.local'],
    ['*', 'shop', '*'],
    ['*.example.com', 'shop', '*.example.com'],
    ['10.0.0.1', 'shop', '10.0.0.1'],
    ['::1', 'shop', '::1'],
  ])('%s in namespace %s is %s', (host, namespace, expected) => {
    expect(hostFqdn(host, namespace)).toBe(expected);
  });
});

const route = (host: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: ${host}}
`;

describe('destination hosts with a dot', () => {
  it('does not read httpbin.org as service httpbin in namespace org', () => {
    expect(diagnostics({ 'vs.yaml': route('httpbin.org') }, 'error')).toEqual([
      "vs.yaml:8:27 error: destination host 'httpbin.org' is not a service of the mesh",
    ]);
  });

  it('does not read reviews.default as the service reviews.default.svc.cluster.local, and says what to write', () => {
    expect(diagnostics({ 'vs.yaml': route('reviews.default') }, 'error')).toEqual([
      "vs.yaml:8:27 error: destination host 'reviews.default' is not a service of the mesh; did you mean reviews.default.svc.cluster.local?",
    ]);
    expect(hints({ 'vs.yaml': route('reviews.default') })).toEqual([
      'Istio expands only a single-label host (reviews, in the namespace of the resource naming it); a host with a dot is taken as fully qualified: write reviews or reviews.default.svc.cluster.local',
    ]);
  });

  it('reads the full name and a short one alike', () => {
    expect(diagnostics({ 'vs.yaml': route('reviews.default.svc.cluster.local'), 'dr.yaml': REVIEWS_RULE })).toEqual([]);
    expect(diagnostics({ 'vs.yaml': route('reviews'), 'dr.yaml': REVIEWS_RULE.replace('host: reviews', 'host: reviews.default.svc.cluster.local') })).toEqual([]);
  });

  it('does not apply a DestinationRule for reviews.default to reviews', () => {
    expect(diagnostics({ 'dr.yaml': REVIEWS_RULE.replace('host: reviews', 'host: reviews.default') }, 'error')).toEqual([
      "dr.yaml:5:9 error: DestinationRule host 'reviews.default' is not a service of the mesh; did you mean reviews.default.svc.cluster.local?",
    ]);
  });
});

describe('VirtualService hosts with a dot', () => {
  it('a mesh VirtualService for reviews.default does nothing for reviews, and says what to write', () => {
    const text = route('reviews').replace('hosts: [reviews]', 'hosts: [reviews.default]');
    expect(diagnostics({ 'vs.yaml': text })).toEqual([
      "vs.yaml:5:11 warning: host 'reviews.default' is not a service of the mesh, so this VirtualService does nothing for it in the sidecars; did you mean reviews.default.svc.cluster.local?",
    ]);
  });
});
