// The entry points of src/config: a mesh directory (or its files' text) → MeshModel + diagnostics.
import { sortDiagnostics } from './diagnostics.ts';
import { parseSources, readMeshDir, type SourceFile } from './load.ts';
import { validate, type ValidationResult } from './validate.ts';

export type { SourceFile } from './load.ts';
export type { ValidationResult } from './validate.ts';

/** Pure: the files' text → model (when there is no error) and diagnostics, errors first. */
export function loadMeshFromSources(files: readonly SourceFile[]): ValidationResult {
  const parsed = parseSources(files);
  const result = validate(parsed.documents, files[0]?.path);
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...result.diagnostics]);
  return parsed.diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { ...result, diagnostics };
}

/** Read every *.yaml / *.yml under `dir` (see readMeshDir) and validate them together. */
export async function loadMesh(dir: string): Promise<ValidationResult> {
  const files = await readMeshDir(dir);
  if (files.length === 0) {
    return { diagnostics: [{ file: dir, line: 0, col: 0, severity: 'error', message: `no .yaml or .yml files in ${dir}` }] };
  }
  return loadMeshFromSources(files);
}
