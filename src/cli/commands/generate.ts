import { loadOrCreateRoot } from '../../control/ca-root.ts';
import { WorkloadSecrets } from '../../control/secrets.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadMesh } from '../../config/index.ts';
import { hasErrors } from '../../config/diagnostics.ts';
import { compileChecked } from '../../compile/refusal.ts';
import { composeAddressing, CAPTURE_PORTS } from '../../compile/addressing.ts';
import { staticBootstrap } from '../../compile/static-config.ts';
import { EXIT, printDiagnostics, summary } from '../output.ts';

export const help = `Usage: mesh generate [DIR] --out OUT

Compiles the mesh in DIR (default: the current directory) and writes, for inspection, one
complete static Envoy configuration per proxy to OUT/envoy/NAME.json: every sidecar
(SERVICE-VERSION) and each gateway proxy (mesh-gateway; mesh-gateway-egressgateway and the like
for other Gateway selectors), addressed as in the Compose stack.
Each file runs as is: envoy --mode validate -c OUT/envoy/NAME.json

Options:
  --out OUT   directory to write into (required)
  --dir DIR   the mesh directory, as DIR (one or the other)
  -h, --help  show this help`;

export async function run(dir: string, options: { out: string }): Promise<number> {
  const { model, diagnostics } = await loadMesh(dir);
  printDiagnostics(diagnostics);
  if (!model || hasErrors(diagnostics)) {
    console.error(`${dir}: invalid (${summary(diagnostics)}); nothing written.`);
    return EXIT.invalid;
  }
  const { compiled, diagnostics: refused } = compileChecked(model, composeAddressing(), dir);
  if (!compiled) {
    printDiagnostics(refused);
    console.error(`${dir}: invalid (${summary([...refused, ...diagnostics])}); nothing written.`);
    return EXIT.invalid;
  }
  // mTLS: the certificates the control plane would serve over SDS, inline (the mesh's CA, DIR/.mesh/ca).
  const secrets = new WorkloadSecrets({ root: () => loadOrCreateRoot(dir), dir });
  const snapshots = await secrets.fill(model, compiled.snapshots);
  const outDir = join(options.out, 'envoy');
  await mkdir(outDir, { recursive: true });
  for (const snapshot of snapshots) {
    const config = staticBootstrap(snapshot, { adminPort: CAPTURE_PORTS.admin });
    await writeFile(join(outDir, `${snapshot.proxy}.json`), JSON.stringify(config, null, 2) + '\n');
  }
  console.log(`Wrote ${compiled.snapshots.length} Envoy configurations to ${outDir}/`);
  return EXIT.ok;
}
