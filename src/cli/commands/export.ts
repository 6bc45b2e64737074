import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { loadMesh } from '../../config/index.ts';
import { readMeshDir } from '../../config/load.ts';
import { hasErrors } from '../../config/diagnostics.ts';
import { resolveImages } from '../../compose/images.ts';
import { exportKubernetes, NAMESPACES_FILE, WORKLOADS_DIR } from '../../export/kubernetes.ts';
import { EXIT, printDiagnostics, summary, UsageError } from '../output.ts';

export const help = `Usage: mesh export kubernetes [DIR] --out OUT

Writes what a Kubernetes cluster with Istio needs to run the mesh in DIR (default: the current
directory), one file per service:

  OUT/${NAMESPACES_FILE}
      a Namespace per namespace of the mesh, labelled istio-injection: enabled
  OUT/${WORKLOADS_DIR}/NAME.NAMESPACE.yaml
      for each service of the Mesh document: a ServiceAccount, a Service (selector app; ports
      named http-, http2-, grpc-, tcp- for Istio's protocol selection) and a Deployment per
      version (labels app and version, image, command as args, env, replicas, containerPort,
      the healthcheck as readinessProbe)
  OUT/...
      every other file of DIR (Istio's kinds, Kubernetes kinds you wrote) at its path, byte for
      byte; localmesh's own documents (Mesh, Canary) are cut out of a file that holds others

A version without an image (command: only) gets the Node.js image, which lacks its files: the
export warns, and a comment in the manifest says to bake the folder into an image.
Apply with: kubectl apply -f OUT/${NAMESPACES_FILE} && kubectl apply -R -f OUT

Options:
  --out OUT   directory to write into: a new or empty one, or an earlier export (replaced)
  --dir DIR   the mesh directory, as DIR (one or the other)
  -h, --help  show this help`;

/** `mesh export kubernetes`, the one target (main.ts checks it). */
export async function run(dir: string, options: { out: string }): Promise<number> {
  if (resolve(options.out) === resolve(dir)) throw new UsageError('--out must not be the mesh directory: the export replaces what is in OUT.');
  const { model, diagnostics } = await loadMesh(dir);
  if (!model || hasErrors(diagnostics)) {
    printDiagnostics(diagnostics);
    console.error(`${dir}: invalid (${summary(diagnostics)}); nothing written.`);
    return EXIT.invalid;
  }
  const files = await readMeshDir(dir);
  const images = resolveImages(model.settings, process.env);
  const result = exportKubernetes({ model, dir, files, nodeImage: images.node });
  printDiagnostics([...diagnostics, ...result.diagnostics]);
  if (hasErrors(result.diagnostics)) {
    console.error(`${dir}: cannot export (${summary(result.diagnostics)}); nothing written.`);
    return EXIT.invalid;
  }
  const present = await readdir(options.out).catch(() => [] as string[]);
  if (present.length > 0 && !present.includes(NAMESPACES_FILE)) {
    console.error(`mesh export: ${options.out} is not empty and holds no earlier export (${NAMESPACES_FILE}); name a new or empty directory.`);
    return EXIT.invalid;
  }
  await rm(options.out, { recursive: true, force: true });
  for (const [path, text] of result.files) {
    const to = join(options.out, path);
    await mkdir(dirname(to), { recursive: true });
    await writeFile(to, text);
  }
  console.log(`Wrote ${result.files.size} files to ${options.out}/ (kubectl apply -f ${join(options.out, NAMESPACES_FILE)} && kubectl apply -R -f ${options.out})`);
  return EXIT.ok;
}
