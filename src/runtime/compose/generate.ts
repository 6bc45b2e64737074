// The stack of a mesh as `mesh up` generates it (for mesh up, and for the follower that keeps a
// running stack in step with the Mesh file), and the builds Compose would not do by itself.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MeshModel } from '../../config/model.ts';
import { resolveImages } from '../../compose/images.ts';
import { generateStack, type Stack } from '../../compose/stack.ts';
import { adsBootstrap } from '../../xds/bootstrap.ts';
import { recordBuilds, recordedBuilds, staleBuilds } from './build-context.ts';
import { composeFailure, composeTarget, runCompose, type ComposeCli, type ComposeTarget } from './cli.ts';
import { userComposeFiles } from './user-files.ts';

/** The localmesh installation, mounted into the control plane. */
const CODE_DIR = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

/** The stack of a mesh as `mesh up` generates it, and the Compose files it runs with (the user's merged in). */
export async function stackOf(model: MeshModel, dir: string, env: Record<string, string | undefined>, apiHostPort: number): Promise<{ stack: Stack; target: ComposeTarget }> {
  const userFiles = await userComposeFiles(dir, model.settings);
  const stack = generateStack({
    model,
    meshDir: dir,
    images: resolveImages(model.settings, env),
    apiPort: apiHostPort,
    codeDir: CODE_DIR,
    userFiles: userFiles.map((f) => relative(dir, f)),
    bootstrap: adsBootstrap,
  });
  return { stack, target: composeTarget(stack.project, dir, userFiles) };
}

/** Builds what Compose would not: `build:` versions whose context changed since mesh up last built them. */
export async function buildChanged(cli: ComposeCli, target: ComposeTarget, stack: Stack, dir: string, say: (line: string) => void, signal: AbortSignal): Promise<void> {
  const stale = await staleBuilds(dir, stack.builds);
  if (stale.length === 0) return;
  for (const b of stale) {
    say(`Building ${b.service} (${b.reason === 'first' ? 'build context' : 'its build context changed since the last build:'} ${b.context})`);
  }
  const build = await runCompose(cli, target, ['build', ...stale.map((b) => b.service)], signal);
  signal.throwIfAborted();
  if (build.exitCode !== 0) throw new Error(composeFailure(String(build.all ?? '')));
  await recordBuilds(dir, { ...(await recordedBuilds(dir)), ...Object.fromEntries(stale.map((b) => [b.service, b.hash])) });
}

