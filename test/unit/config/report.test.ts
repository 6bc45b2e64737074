// A finding's place is worked out when it is read: a mesh that reloads with a warning does not
// parse its file with positions on every reload (the control plane only counts the warnings).
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { collector } from '../../../src/config/report.ts';

describe('collector', () => {
  it('reads the line and column of a finding from its SourceRef when first asked, not when reported', () => {
    let reads = 0;
    const at = { file: 'a.yaml', get line() { reads++; return 3; }, get col() { reads++; return 5; } };
    const { diagnostics, report } = collector();
    report('warning', at, 'looks odd', 'do better');
    expect(reads).toBe(0);
    expect(JSON.stringify(diagnostics[0])).toBe('{"file":"a.yaml","line":3,"col":5,"severity":"warning","message":"looks odd","hint":"do better"}');
    expect(reads).toBe(2);
  });

  it('gives a warning of a loaded mesh its place, with or without Istio codes', () => {
    const files = [
      { path: 'mesh.yaml', text: 'apiVersion: localmesh.dev/v1alpha1\nkind: Mesh\nmetadata: { name: m }\nspec:\n  services:\n    a:\n      ports: [{ port: 80 }]\n      versions: { v1: { image: nginx } }\n' },
      { path: 'vs.yaml', text: 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: a }\nspec:\n  hosts: [a, a.example.com]\n  http:\n    - route: [{ destination: { host: a } }]\n' },
    ];
    for (const analyze of [false, true]) {
      const warnings = loadMeshFromSources(files, '.', undefined, { analyze }).diagnostics.filter((d) => d.message.includes('a.example.com'));
      expect(warnings.map(({ file, line, col, severity }) => ({ file, line, col, severity }))).toEqual([{ file: 'vs.yaml', line: 5, col: 14, severity: 'warning' }]);
    }
  });
});
