// A route's weights written into its VirtualService's file, in place (what `mesh weight`, the
// dashboard and `mesh canary` do): the mesh loaded, the route found, the numbers changed with
// comments and order kept, and the file written only when the mesh stays valid with it.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { applyEdit } from './apply-edit.ts';
import { formatDiagnostic, hasErrors, type Diagnostic } from './diagnostics.ts';
import { findWeightedRoute, setWeights, type WeightChange } from './edit-weights.ts';
import { loadMesh } from './index.ts';

export type WeightsWritten =
  | { written: boolean; summary: string; file: string }
  | { error: string; diagnostics?: Diagnostic[] };

export async function writeWeights(dir: string, change: WeightChange): Promise<WeightsWritten> {
  const { model, diagnostics } = await loadMesh(dir);
  if (!model || hasErrors(diagnostics)) return { error: `${dir}: the mesh is invalid; fix it before changing weights.`, diagnostics };
  const target = findWeightedRoute(model, change, dir);
  if ('error' in target) return { error: formatDiagnostic(target.error) };
  const file = target.vs.source.file;
  const original = await readFile(file, 'utf8');
  const edit = setWeights(original, target, change.weights);
  if ('error' in edit) return { error: formatDiagnostic(edit.error) };
  if (edit.text === original) return { written: false, summary: `${edit.summary} (already so; nothing written)`, file };
  // The mesh with the edit must still be valid: never hand the watcher a broken file.
  const applied = await applyEdit(dir, file, edit.text);
  if ('diagnostics' in applied) return { error: `${file}: not changed; the edit would make the mesh invalid.`, diagnostics: applied.diagnostics };
  return { written: true, summary: edit.summary + (edit.reformatted ? ` (weight keys added; ${basename(file)} reprinted)` : ''), file };
}
