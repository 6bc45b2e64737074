// Resources that claim the same name or host: the later one is reported and points at the first.
import { describe, expect, it } from 'vitest';
import { diagnostics, hints, REVIEWS_RULE } from './fixtures.ts';

const ROUTE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
`;

describe('conflicts', () => {
  it('rejects two VirtualServices routing one host in the sidecars', () => {
    const files = { 'a.yaml': ROUTE, 'b.yaml': ROUTE.replace('{name: reviews}', '{name: reviews-2}').replace('[reviews]', '[reviews.default.svc.cluster.local]') };
    expect(diagnostics(files)).toEqual(['b.yaml:5:11 error: another VirtualService already routes reviews for the sidecars']);
    expect(hints(files)).toEqual(['the first is at a.yaml:5:11; merge the routes into one VirtualService per host (or export each to other namespaces with exportTo)']);
  });

  it('merges two DestinationRules for one host, as Istio does, and warns of a subset defined again', () => {
    const files = {
      'a.yaml': REVIEWS_RULE,
      'b.yaml': REVIEWS_RULE.replace('{name: reviews}', '{name: reviews-2}').replace('{name: v1, labels: {version: v1}}', '{name: canary, labels: {version: v2}}'),
      'vs.yaml': ROUTE.replace('{destination: {host: reviews}}', '{destination: {host: reviews, subset: canary}}'),
    };
    expect(diagnostics(files)).toEqual([
      "b.yaml:8:12 warning: subset 'v2' is defined already by DestinationRule reviews for reviews; Istio keeps that one and ignores this one",
    ]);
    expect(hints(files)).toEqual(['the first is at a.yaml:8:12; give this subset another name, or remove it']);
  });

  it('accepts DestinationRules for one host in two namespaces: each client namespace takes one (namespace-view.ts)', () => {
    const files = { 'a.yaml': REVIEWS_RULE, 'b.yaml': REVIEWS_RULE.replace('{name: reviews}', '{name: reviews, namespace: other}').replace('host: reviews', 'host: reviews.default.svc.cluster.local') };
    expect(diagnostics(files)).toEqual([]);
  });

  it('rejects two resources of one kind with one name in one namespace', () => {
    const files = { 'a.yaml': ROUTE, 'b.yaml': ROUTE.replace('[reviews]', '[ratings]').replace('host: reviews', 'host: ratings') };
    expect(diagnostics(files)).toEqual(['b.yaml:3:18 error: VirtualService default/reviews is defined twice']);
    expect(hints(files)).toEqual(['the first is at a.yaml:3:18; give one of them another name']);
  });

  it('allows one name in two namespaces and for two kinds', () => {
    const files = {
      'a.yaml': ROUTE,
      'b.yaml': ROUTE.replace('{name: reviews}', '{name: reviews, namespace: other}').replaceAll('reviews]', 'reviews.default.svc.cluster.local]').replace('host: reviews', 'host: reviews.default.svc.cluster.local'),
      'dr.yaml': REVIEWS_RULE,
    };
    expect(diagnostics(files, 'error')).toEqual(['b.yaml:5:11 error: another VirtualService already routes reviews for the sidecars']);
  });

  it('allows two VirtualServices for one host that no namespace sees both of (exportTo)', () => {
    const other = ROUTE.replace('{name: reviews}', '{name: reviews, namespace: other}').replaceAll('reviews]', 'reviews.default.svc.cluster.local]').replace('host: reviews', 'host: reviews.default.svc.cluster.local');
    const exported = (text: string, to: string) => text.replace('spec:\n', `spec:\n  exportTo: [${to}]\n`);
    expect(diagnostics({ 'a.yaml': exported(ROUTE, '"."'), 'b.yaml': exported(other, '"."') }, 'error')).toEqual([]);
    expect(diagnostics({ 'a.yaml': exported(ROUTE, 'other'), 'b.yaml': exported(other, '"."') }, 'error')).toEqual(['b.yaml:6:11 error: another VirtualService already routes reviews for the sidecars']);
  });
});
