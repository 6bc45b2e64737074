// Writing an edit of a mesh file: only when the mesh with the edit still validates (a running
// control plane never sees a broken file from us), and atomically (write beside, rename over),
// so a watcher sees one complete change. Shared by `mesh weight` and the dashboard.
import { rename, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hasErrors, type Diagnostic } from './diagnostics.ts';
import { loadMeshFromSources } from './index.ts';
import { readMeshDir } from './load.ts';

/** Writes `text` to `file` of the mesh in `dir`; the errors instead when the mesh would be invalid. */
export async function applyEdit(dir: string, file: string, text: string): Promise<{ written: true } | { diagnostics: Diagnostic[] }> {
  const files = (await readMeshDir(dir)).map((f) => (f.path === file ? { ...f, text } : f));
  const after = loadMeshFromSources(files, dir);
  if (hasErrors(after.diagnostics)) return { diagnostics: after.diagnostics };
  await writeAtomically(file, text);
  return { written: true };
}

export async function writeAtomically(file: string, text: string): Promise<void> {
  await (await stageAtomically(file, text))();
}

/**
 * The first half of writeAtomically: the text written beside `file`; the function returned renames
 * it over `file` (bench/reload times an edit from there, when the control plane can first see it).
 */
export async function stageAtomically(file: string, text: string): Promise<() => Promise<void>> {
  // Not *.yaml, so a mesh loader never reads the half-written file.
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await writeFile(temp, text);
  // The control plane takes a file at once, without a second read, when its ctime is later than
  // its mtime (control/settled.ts). The rename sets the ctime, but within the same clock tick as
  // the write more often than not (equal times): an mtime 1 ms back makes it later, on any kernel.
  const { atime, mtimeMs } = await stat(temp);
  await utimes(temp, atime, (mtimeMs - 1) / 1000);
  return () => rename(temp, file);
}
