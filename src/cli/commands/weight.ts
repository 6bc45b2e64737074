import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { applyEdit } from '../../config/apply-edit.ts';
import { loadMesh } from '../../config/index.ts';
import { formatDiagnostic, hasErrors } from '../../config/diagnostics.ts';
import { findWeightedRoute, parseWeightArgs, setWeights } from '../../config/edit-weights.ts';
import { EXIT, printDiagnostics, UsageError } from '../output.ts';

export const help = `Usage: mesh weight [DIR] HOST SUBSET=WEIGHT [SUBSET=WEIGHT...] [--route NAME]

Sets the traffic split to HOST by rewriting the weights of its route in the VirtualService's YAML
file, in place: comments, order and style are kept, only the numbers change. A running control
plane picks the change up like any other edit.

  mesh weight reviews v1=50 v2=50

HOST is a service's short name, NAME.NAMESPACE or its FQDN. The route is the one HTTP route whose
destinations include HOST (a gateway VirtualService with hosts "*" counts); when there are several,
the one without match (the default route), or the one named by --route. The weights must add up
to 100; destinations not named get 0.

Options:
  --dir DIR     the mesh directory, as DIR first (default: the current directory)
  --route NAME  the HTTP route's name, or its VirtualService's name, when several go to HOST
  -h, --help    show this help`;

export async function run(dir: string, args: readonly string[], options: { route?: string }): Promise<number> {
  const [host, ...pairs] = args;
  if (!host) throw new UsageError('mesh weight needs a HOST and SUBSET=WEIGHT pairs.');
  const weights = parseWeightArgs(pairs);
  if (typeof weights === 'string') throw new UsageError(weights);

  const { model, diagnostics } = await loadMesh(dir);
  if (!model || hasErrors(diagnostics)) {
    printDiagnostics(diagnostics);
    console.error(`${dir}: the mesh is invalid; fix it before changing weights.`);
    return EXIT.invalid;
  }
  const target = findWeightedRoute(model, { host, weights, ...(options.route ? { route: options.route } : {}) }, dir);
  if ('error' in target) return fail(formatDiagnostic(target.error));
  const file = target.vs.source.file;
  const original = await readFile(file, 'utf8');
  const edit = setWeights(original, target, weights);
  if ('error' in edit) return fail(formatDiagnostic(edit.error));
  if (edit.text === original) {
    console.log(`${edit.summary} (already so; nothing written)`);
    return EXIT.ok;
  }

  // The mesh with the edit must still be valid: never hand the watcher a broken file.
  const applied = await applyEdit(dir, file, edit.text);
  if ('diagnostics' in applied) {
    printDiagnostics(applied.diagnostics);
    return fail(`${file}: not changed; the edit would make the mesh invalid.`);
  }
  console.log(edit.summary + (edit.reformatted ? ` (weight keys added; ${basename(file)} reprinted)` : ''));
  return EXIT.ok;
}

function fail(message: string): number {
  console.error(message);
  return EXIT.invalid;
}
