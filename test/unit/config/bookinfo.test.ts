// Istio's own bookinfo samples, unmodified, beside a localmesh Mesh: they load with no error.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../src/config/index.ts';

const DIR = 'test/fixtures/bookinfo';
const file = (path: string) => ({ path: `${DIR}/${path}`, text: readFileSync(`${DIR}/${path}`, 'utf8') });

function load(...paths: string[]) {
  return loadMeshFromSources([file('mesh.yaml'), ...paths.map(file)]);
}

function errors(result: ReturnType<typeof load>) {
  return result.diagnostics.filter((d) => d.severity === 'error');
}

// Each sample with the DestinationRules its subsets need (fault-injection-details-v1 brings its own).
const SETS: Record<string, string[][]> = {
  v1: [
    ['bookinfo-gateway.yaml'],
    ['destination-rule-all.yaml', 'virtual-service-all-v1.yaml'],
    ['destination-rule-all-mtls.yaml', 'virtual-service-all-v1.yaml'],
    ['destination-rule-all.yaml', 'virtual-service-ratings-test-delay.yaml'],
    ['destination-rule-all.yaml', 'virtual-service-ratings-test-abort.yaml'],
    ['destination-rule-all.yaml', 'virtual-service-reviews-80-20.yaml'],
    ['destination-rule-all.yaml', 'virtual-service-reviews-50-v3.yaml'],
    ['destination-rule-all.yaml', 'virtual-service-reviews-v2-v3.yaml'],
    ['destination-rule-all.yaml', 'virtual-service-reviews-jason-v2-v3.yaml'],
    ['fault-injection-details-v1.yaml'],
  ],
  v1alpha3: [
    ['bookinfo-gateway.yaml'],
    ['destination-rule-all.yaml', 'virtual-service-ratings-test-delay.yaml'],
    ['destination-rule-all-mtls.yaml', 'virtual-service-ratings-test-abort.yaml'],
    ['fault-injection-details-v1.yaml'],
  ],
};

describe('Istio bookinfo samples', () => {
  for (const [version, sets] of Object.entries(SETS)) {
    for (const set of sets) {
      it(`${version}: ${set.join(' + ')} loads with no error`, () => {
        const result = load(...set.map((f) => `${version}/${f}`));
        expect(errors(result)).toEqual([]);
        expect(result.model).toBeDefined();
      });
    }
  }

  it('applies ISTIO_MUTUAL (no warning), and warns about subsets of versions not declared', () => {
    const { diagnostics } = load('v1alpha3/destination-rule-all-mtls.yaml');
    const warnings = diagnostics.map((d) => `${d.file.replace(`${DIR}/`, '')}:${d.line}:${d.col} ${d.severity}: ${d.message}`);
    expect(warnings.filter((w) => w.includes('trafficPolicy.tls'))).toEqual([]);
    expect(warnings).toContain(
      "v1alpha3/destination-rule-all-mtls.yaml:71:11 warning: subset 'v2' selects no version of details (labels version=v2), so traffic sent to it fails",
    );
  });

  it('reads the deprecated integer percent of v1alpha3 faults', () => {
    const { model } = load('v1alpha3/destination-rule-all.yaml', 'v1alpha3/virtual-service-ratings-test-delay.yaml');
    const ratings = model!.virtualServices.find((v) => v.name === 'ratings')!;
    expect(ratings.spec.http![0]!.fault).toEqual({ delay: { percent: 100, fixedDelay: '7s' } });
  });

  it('resolves the gateway VirtualService to its Gateway and the sidecar ones to mesh services', () => {
    const { model } = load('v1/bookinfo-gateway.yaml', 'v1/destination-rule-all.yaml', 'v1/virtual-service-all-v1.yaml');
    expect(model!.services.map((s) => s.fqdn)).toEqual([
      'details.default.svc.cluster.local',
      'productpage.default.svc.cluster.local',
      'ratings.default.svc.cluster.local',
      'reviews.default.svc.cluster.local',
    ]);
    expect(model!.services[3]!.versions.map((v) => [v.proxy, v.labels])).toEqual([
      ['reviews-v1', { app: 'reviews', version: 'v1' }],
      ['reviews-v2', { app: 'reviews', version: 'v2' }],
      ['reviews-v3', { app: 'reviews', version: 'v3' }],
    ]);
    const bookinfo = model!.virtualServices.find((v) => v.name === 'bookinfo')!;
    expect(bookinfo.gateways).toEqual(['default/bookinfo-gateway']);
    expect(bookinfo.services).toEqual([]);
    expect(model!.gateways.map((g) => g.key)).toEqual(['default/bookinfo-gateway']);
    const reviews = model!.virtualServices.find((v) => v.name === 'reviews')!;
    expect(reviews).toMatchObject({ services: ['reviews.default.svc.cluster.local'], gateways: ['mesh'] });
    expect(model!.destinationRules.map((d) => d.service)).toContain('reviews.default.svc.cluster.local');
  });
});
