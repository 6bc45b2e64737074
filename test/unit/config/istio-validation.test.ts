// Istio's validation, case for case: each probe in test/fixtures/istio-validation/ is one rule of
// Istio's (pkg/config/validation, the Go test case it was written from in its `# case:` line)
// with the verdict Istio gives (`# istio: valid|invalid`). localmesh must give the same verdict,
// unless the probe says why not (`# differs: REASON`, listed in DIFFERENCES.md), in which case
// the test holds that difference to what it says. Every verdict includes Envoy's: a mesh that
// validates must compile to a config Envoy's own rules accept.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeAddressing } from '../../../src/compile/addressing.ts';
import { compileChecked } from '../../../src/compile/refusal.ts';
import { hasErrors } from '../../../src/config/diagnostics.ts';
import { loadMeshFromSources } from '../../../src/config/index.ts';

const DIR = 'test/fixtures/istio-validation';
const BASE = { path: join(DIR, '_base.yaml'), text: readFileSync(join(DIR, '_base.yaml'), 'utf8') };

interface Probe {
  name: string;
  path: string;
  text: string;
  istio: 'valid' | 'invalid';
  case: string;
  differs?: string;
}

function header(text: string, key: string): string | undefined {
  return new RegExp(`^# ${key}: (.+)$`, 'm').exec(text)?.[1]?.trim();
}

const probes: Probe[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))
  .sort()
  .map((f) => {
    const path = join(DIR, f);
    const text = readFileSync(path, 'utf8');
    const istio = header(text, 'istio');
    const source = header(text, 'case');
    if ((istio !== 'valid' && istio !== 'invalid') || !source) throw new Error(`${path}: needs '# istio: valid|invalid' and '# case: ...'`);
    return { name: f.replace(/\.yaml$/, ''), path, text, istio, case: source, differs: header(text, 'differs') };
  });

/** localmesh's verdict on a probe, as `mesh validate` gives it, and the errors behind it. */
function verdict(probe: Probe): { verdict: 'valid' | 'invalid'; errors: string[] } {
  const { model, diagnostics } = loadMeshFromSources([BASE, { path: probe.path, text: probe.text }], DIR);
  const all = model && !hasErrors(diagnostics) ? [...diagnostics, ...compileChecked(model, composeAddressing(), DIR).diagnostics] : diagnostics;
  const errors = all.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`);
  return { verdict: errors.length ? 'invalid' : 'valid', errors };
}

describe("Istio's validation verdicts (test/fixtures/istio-validation)", () => {
  it('has probes for the three kinds', () => {
    expect(probes.length).toBeGreaterThanOrEqual(150);
  });

  for (const probe of probes) {
    const expected = probe.differs ? (probe.istio === 'valid' ? 'invalid' : 'valid') : probe.istio;
    it(`${probe.name}: Istio says ${probe.istio}${probe.differs ? `, localmesh differs (${probe.differs})` : ''} [${probe.case}]`, () => {
      const got = verdict(probe);
      expect(got.verdict, got.errors.join('\n') || 'no error').toBe(expected);
      // An invalid verdict must point into the probe, not at the base mesh or nowhere.
      if (got.verdict === 'invalid' && !probe.differs) expect(got.errors.some((e) => e.startsWith(`${probe.path}:`)), got.errors.join('\n')).toBe(true);
    });
  }

  it("agrees with at least 95% of Istio's verdicts, and DIFFERENCES.md lists every difference", () => {
    const differing = probes.filter((p) => p.differs);
    const agreement = (probes.length - differing.length) / probes.length;
    console.log(`istio-validation: ${probes.length - differing.length} of ${probes.length} verdicts agree with Istio's`);
    expect(agreement).toBeGreaterThanOrEqual(0.95);
    const listed = readFileSync(join(DIR, 'DIFFERENCES.md'), 'utf8');
    for (const p of differing) expect(listed, `DIFFERENCES.md should list ${p.name}`).toContain(p.name);
  });
});
