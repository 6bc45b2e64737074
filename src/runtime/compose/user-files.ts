// The Compose files a user already has, merged after the generated stack as
// `docker compose -f .mesh/compose.yaml -f compose.yaml` merges them: their services (a database,
// a queue, a mock of a partner API) run unmeshed beside the mesh on its network, reachable by
// name from the apps through their sidecars' passthrough, and they may override generated
// services (extra volumes, env, ports). settings.compose in the Mesh names them (paths relative to
// the mesh directory); else the first of Compose's own default names found in the directory.
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Settings } from '../../config/schema/mesh.ts';
import { COMPOSE_DEFAULT_FILES } from '../../config/names.ts';

export async function userComposeFiles(meshDir: string, settings: Settings): Promise<string[]> {
  const exists = (path: string) => access(path).then(() => true, () => false);
  const named = settings.compose === undefined ? undefined : typeof settings.compose === 'string' ? [settings.compose] : settings.compose;
  if (named) {
    const files = named.map((f) => resolve(meshDir, f));
    for (const [i, file] of files.entries()) {
      if (!(await exists(file))) throw new Error(`settings.compose names ${named[i]}, which does not exist (looked for ${file}).`);
    }
    return files;
  }
  for (const name of COMPOSE_DEFAULT_FILES) {
    const file = resolve(meshDir, name);
    if (await exists(file)) return [file];
  }
  return [];
}
