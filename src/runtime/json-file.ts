// The run files every runtime keeps under DIR/.mesh/: written atomically (a temporary file
// renamed over the old one, so a reader never sees half a file), read back as values.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** `mode` 0o600 for a file that may hold secrets (the apps' environment). */
export async function writeAtomic(path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode });
  await rename(temp, path);
}

export const writeJson = (path: string, value: unknown, mode?: number): Promise<void> => writeAtomic(path, JSON.stringify(value, null, 2) + '\n', mode);

/** The JSON in `path`; undefined when there is no such file; an Error with a sentence when it cannot be read. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path} cannot be read (${(error as Error).message}); remove it if nothing runs.`);
  }
}
