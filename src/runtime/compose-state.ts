// What `mesh up` with the Compose runtime leaves in DIR/.mesh/: compose.yaml and envoy/*.json
// (the generated stack, kept after mesh down for reading and running by hand) and docker.json
// (the run: project, Compose variant, API and gateway URLs, for down, logs and status).
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Stack } from '../compose/stack.ts';
import type { ComposeVariant } from './compose-cli.ts';

export interface ComposeState {
  runtime: 'docker';
  /** The mesh directory, absolute. */
  dir: string;
  project: string;
  compose: ComposeVariant;
  startedAt: string;
  api: string;
  gateways: string[];
  /** Compose services by role. */
  services: Stack['services'];
  proxyIds: string[];
}

export const meshStateDir = (dir: string) => join(resolve(dir), '.mesh');
const statePath = (dir: string) => join(meshStateDir(dir), 'docker.json');

export async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

/** DIR/.mesh/compose.yaml and the bootstraps (earlier ones removed). */
export async function writeStack(dir: string, stack: Stack): Promise<void> {
  const root = meshStateDir(dir);
  await rm(join(root, 'envoy'), { recursive: true, force: true });
  for (const [path, text] of stack.files) await writeAtomic(join(root, path), text);
  await writeAtomic(join(root, 'compose.yaml'), stack.compose);
}

export const writeComposeState = (dir: string, state: ComposeState) => writeAtomic(statePath(dir), JSON.stringify(state, null, 2) + '\n');

export async function readComposeState(dir: string): Promise<ComposeState | undefined> {
  try {
    return JSON.parse(await readFile(statePath(dir), 'utf8')) as ComposeState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${statePath(dir)} cannot be read (${(error as Error).message}); remove it if nothing runs.`);
  }
}

export const removeComposeState = (dir: string) => rm(statePath(dir), { force: true });
