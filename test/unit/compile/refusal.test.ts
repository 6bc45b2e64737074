// A model the config checks let through but whose compile Envoy would refuse is an error of the
// mesh (what `mesh validate` and `mesh generate` report), never a throw or a written file.
import { describe, expect, it } from 'vitest';
import { composeAddressing } from '../../../src/compile/addressing.ts';
import { compileChecked } from '../../../src/compile/refusal.ts';
import { model, REVIEWS_SUBSETS } from './compile-helpers.ts';

describe('compileChecked', () => {
  it('compiles a valid mesh with no diagnostic', () => {
    const result = compileChecked(model(REVIEWS_SUBSETS), composeAddressing(), 'dir');
    expect(result.diagnostics).toEqual([]);
    expect(result.compiled?.snapshots.length).toBeGreaterThan(0);
  });

  it("reports a value outside Envoy's rules with the resource and the Envoy field", () => {
    const m = model(REVIEWS_SUBSETS);
    // Past the config checks, as a value no check catches would be.
    (m.destinationRules[0]!.spec as any).trafficPolicy = { outlierDetection: { maxEjectionPercent: 150 } };
    const result = compileChecked(m, composeAddressing(), 'dir');
    expect(result.compiled).toBeUndefined();
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ file: 'dir', severity: 'error' });
    expect(result.diagnostics[0]!.message).toMatch(
      /^Envoy would refuse the compiled config: clusters outbound\|9080\|\w*\|reviews\.\S+ of proxy \S+: Cluster\.outlier_detection\.max_ejection_percent: got 150; Envoy requires a value at most 100/,
    );
  });
});
