// The entry points of src/config: a mesh directory (or its files' text) → MeshModel + diagnostics.
import { basename, resolve } from 'node:path';
import { hasErrors, sortDiagnostics } from './diagnostics.ts';
import { parseSources, readMeshDir, type ParseCache, type SourceFile } from './load.ts';
import { validate, type ValidateOptions, type ValidationResult } from './validate.ts';

export { ParseCache, type SourceFile } from './load.ts';
export type { ValidateOptions, ValidationResult } from './validate.ts';

/**
 * Pure: the files' text → model (when there is no error) and diagnostics, errors first.
 * `where` names the whole set in a diagnostic that has no place in one file (the directory);
 * `name` is the mesh's name when no Mesh document gives one (default: from `where`); with a
 * `parseCache`, files it has seen with the same text are not parsed again.
 */
export function loadMeshFromSources(
  files: readonly SourceFile[],
  where = files[0]?.path ?? '.',
  name?: string,
  options: ValidateOptions = {},
  parseCache?: ParseCache,
): ValidationResult {
  const parsed = parseSources(files, parseCache);
  const syntax = () => ({ diagnostics: sortDiagnostics([...parsed.diagnostics, ...parsed.late.filter((d) => d.severity === 'error')]) });
  // A file that does not parse may hold the Mesh or the rule others refer to: checking the rest
  // would report consequences, not causes. Syntax first.
  if (hasErrors(parsed.diagnostics)) return syntax();
  const result = validate(parsed.documents, where, name, options);
  // Pointing at a mistake parsed a file with positions, and that parse rejected it: the syntax
  // error is the cause (the fast parser read the file otherwise), so it is what is reported.
  if (hasErrors(parsed.late)) return syntax();
  return { ...result, diagnostics: sortDiagnostics([...parsed.diagnostics, ...result.diagnostics]) };
}

/** Read every *.yaml / *.yml under `dir` (see readMeshDir) and validate them together. */
export async function loadMesh(dir: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  const files = await readMeshDir(dir);
  if (files.length === 0) {
    return { diagnostics: [{ file: dir, line: 0, col: 0, severity: 'error', message: `no .yaml or .yml files in ${dir}` }] };
  }
  return loadMeshFromSources(files, dir, basename(resolve(dir)), options);
}
