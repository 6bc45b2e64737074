// A route's weights written into its VirtualService's file, in place (what `mesh weight`, the
// dashboard, the web view and `mesh canary` do): the route found, the numbers changed with
// comments and order kept, and the file written only when the mesh stays valid with it.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { applyEdit } from './apply-edit.ts';
import { formatDiagnostic, hasErrors, type Diagnostic } from './diagnostics.ts';
import { findWeightedRoute, setWeights, type WeightChange, type WeightedRoute } from './edit-weights.ts';
import { loadMesh } from './index.ts';

export type WeightsWritten =
  | { written: boolean; summary: string; file: string }
  | { error: string; diagnostics?: Diagnostic[] };

/** The weights of the route a host's traffic takes (`mesh weight`, `mesh canary`). */
export async function writeWeights(dir: string, change: WeightChange): Promise<WeightsWritten> {
  const { model, diagnostics } = await loadMesh(dir);
  if (!model || hasErrors(diagnostics)) return { error: `${dir}: the mesh is invalid; fix it before changing weights.`, diagnostics };
  const target = findWeightedRoute(model, change, dir);
  if ('error' in target) return { error: formatDiagnostic(target.error) };
  return writeRouteWeights(dir, target, change.weights);
}

/** The weights (by destination label) of one HTTP route of a loaded mesh (the dashboard, the web view). */
export async function writeRouteWeights(dir: string, target: WeightedRoute, weights: Record<string, number>): Promise<WeightsWritten> {
  const file = target.vs.source.file;
  const original = await readFile(file, 'utf8');
  const edit = setWeights(original, target, weights);
  if ('error' in edit) return { error: formatDiagnostic(edit.error) };
  if (edit.text === original) return { written: false, summary: `${edit.summary} (already so; nothing written)`, file };
  // The mesh with the edit must still be valid: never hand the watcher a broken file.
  const applied = await applyEdit(dir, file, edit.text);
  if ('diagnostics' in applied) return { error: `${file}: not changed; the edit would make the mesh invalid.`, diagnostics: applied.diagnostics };
  return { written: true, summary: edit.summary + (edit.reformatted ? ` (weight keys added; ${basename(file)} reprinted)` : ''), file };
}
