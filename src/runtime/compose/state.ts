// What `mesh up` with the Compose runtime leaves in DIR/.mesh/: compose.yaml and envoy/*.json
// (the generated stack, kept after mesh down for reading and running by hand) and docker.json
// (the run: project, Compose variant, API and gateway URLs, for down, logs and status).
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Stack } from '../../compose/stack.ts';
import type { RunStateBase } from '../contract.ts';
import { readJson, writeAtomic, writeJson } from '../json-file.ts';
import type { ComposeVariant } from './cli.ts';

export interface ComposeRunState extends RunStateBase {
  runtime: 'docker';
  project: string;
  compose: ComposeVariant;
  /** Compose services by role. */
  services: Stack['services'];
  proxyIds: string[];
  /** The Compose files in merge order (absolute): .mesh/compose.yaml, then the user's. */
  files?: string[];
  /** `mesh up --watch`: code changes restart, sync or rebuild the versions whose `watch:` paths they are in. */
  watch?: boolean;
  /** The detached healer (`mesh supervise DIR`) of a `mesh up -d`. */
  supervisor?: { pid: number; startTime?: string };
}

export const meshStateDir = (dir: string) => join(resolve(dir), '.mesh');
const statePath = (dir: string) => join(meshStateDir(dir), 'docker.json');

/** DIR/.mesh/compose.yaml and the bootstraps (earlier ones removed). */
export async function writeStack(dir: string, stack: Stack): Promise<void> {
  const root = meshStateDir(dir);
  await rm(join(root, 'envoy'), { recursive: true, force: true });
  for (const [path, text] of stack.files) await writeAtomic(join(root, path), text);
  await writeAtomic(join(root, 'compose.yaml'), stack.compose);
}

export const writeComposeState = (dir: string, state: ComposeRunState) => writeJson(statePath(dir), state);

export const readComposeState = (dir: string) => readJson<ComposeRunState>(statePath(dir));

/** Removes docker.json and the inner loops of `mesh up --watch` (watch.json). */
export const removeComposeState = async (dir: string) => {
  await rm(statePath(dir), { force: true });
  await rm(join(meshStateDir(dir), 'watch.json'), { force: true });
};
