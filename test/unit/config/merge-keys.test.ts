// YAML merge keys (`<<: *anchor`), which Istio and kubectl accept: merged fields are read, keys
// written beside `<<` win, and a mistake in a merged field points at the anchor where it is written.
import { describe, expect, it } from 'vitest';
import { diagnostics, load } from './fixtures.ts';

const RULE = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: &policy
    loadBalancer: {simple: RANDOM}
    connectionPool: {tcp: {connectTimeout: 2s}}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      <<: *policy
      loadBalancer: {simple: LEAST_REQUEST}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      <<: *policy
`;

describe('YAML merge keys', () => {
  it('merges the anchored mapping, keys beside << taking precedence', () => {
    const { model, diagnostics: found } = load({ 'dr.yaml': RULE });
    expect(found).toEqual([]);
    expect(model!.destinationRules[0]!.spec.subsets![0]!.trafficPolicy).toEqual({
      loadBalancer: { simple: 'LEAST_REQUEST' },
      connectionPool: { tcp: { connectTimeout: '2s' } },
    });
  });

  it('merges a list of mappings, the first one winning', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy: &first {connectionPool: {tcp: {connectTimeout: 5s}}}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      <<: [*first, {connectionPool: {tcp: {connectTimeout: 9s}}, loadBalancer: {simple: RANDOM}}]
`;
    const { model, diagnostics: found } = load({ 'dr.yaml': text });
    expect(found).toEqual([]);
    expect(model!.destinationRules[0]!.spec.subsets![1]!.trafficPolicy).toEqual({
      connectionPool: { tcp: { connectTimeout: '5s' } },
      loadBalancer: { simple: 'RANDOM' },
    });
  });

  it('points at the anchor for a mistake in a merged field', () => {
    const text = RULE.replace('connectTimeout: 2s', 'connectTimeout: soon');
    expect(diagnostics({ 'dr.yaml': text }, 'error')).toEqual([
      "dr.yaml:8:44 error: 'soon' at spec.trafficPolicy.connectionPool.tcp.connectTimeout is not a duration",
      "dr.yaml:8:44 error: 'soon' at spec.subsets[0].trafficPolicy.connectionPool.tcp.connectTimeout is not a duration",
      "dr.yaml:8:44 error: 'soon' at spec.subsets[1].trafficPolicy.connectionPool.tcp.connectTimeout is not a duration",
    ]);
  });
});
