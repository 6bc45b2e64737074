import { parseWeightArgs } from '../../config/edit-weights.ts';
import { writeWeights } from '../../config/write-weights.ts';
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
  const result = await writeWeights(dir, { host, weights, ...(options.route ? { route: options.route } : {}) });
  if ('error' in result) {
    if (result.diagnostics) printDiagnostics(result.diagnostics);
    console.error(result.error);
    return EXIT.invalid;
  }
  console.log(result.summary);
  return EXIT.ok;
}
