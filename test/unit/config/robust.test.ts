// Whatever the files hold, loading answers with diagnostics and never throws.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { MESH } from './fixtures.ts';

const RULES = readFileSync('test/fixtures/bookinfo/v1/destination-rule-all.yaml', 'utf8');
const ROUTES = readFileSync('test/fixtures/bookinfo/v1/virtual-service-reviews-80-20.yaml', 'utf8');

function located(text: string) {
  const { diagnostics } = loadMeshFromSources([{ path: 'mesh.yaml', text: MESH }, { path: 'x.yaml', text }]);
  for (const d of diagnostics) {
    expect(d.message.length).toBeGreaterThan(0);
    expect(d.line).toBeGreaterThanOrEqual(0);
  }
}

describe('robustness', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => located(text)), { numRuns: 300 });
  });

  it('never throws on arbitrary values in place of any field of real resources', () => {
    const base = [RULES.split('---')[1]!, ROUTES];
    fc.assert(
      fc.property(fc.constantFrom(...base), fc.nat(), fc.jsonValue({ maxDepth: 2 }), (text, pick, value) => {
        const lines = text.split('\n');
        const i = pick % lines.length;
        const line = lines[i]!;
        const colon = line.indexOf(':');
        if (colon > 0) lines[i] = `${line.slice(0, colon + 1)} ${stringify(value, { collectionStyle: 'flow' }).trim()}`;
        located(lines.join('\n'));
      }),
      { numRuns: 300 },
    );
  });
});
