// `mesh up --watch` on Compose: a change under a version's `watch:` paths restarts, syncs or
// rebuilds that version's app containers only (watch-steps.ts says which Compose calls), then
// waits until they run again (and are healthy, where Compose checks them). The sidecar and the
// pod's namespace stay; a rebuild's new hash is recorded so that mesh up does not build it again.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadMesh } from '../../config/index.ts';
import type { VersionModel } from '../../config/model.ts';
import { longBuild } from '../../compose/stack.ts';
import { startInnerLoop } from '../inner-loop.ts';
import { waitUntil } from '../readiness.ts';
import { buildHash, recordBuilds, recordedBuilds } from './build-context.ts';
import { composeFailure, composeTarget, findCompose, runCompose } from './cli.ts';
import type { Engine } from './engine.ts';
import { meshStateDir, type ComposeRunState } from './state.ts';
import { appServices, watchSteps } from './watch-steps.ts';

/** Where the inner loops are recorded (removed with docker.json by removeComposeState). */
export const composeWatchFile = (dir: string) => join(meshStateDir(dir), 'watch.json');

/**
 * `restarting`: the app services under way, which the healer must leave alone (shared with
 * healStack); `on`: whether changes are acted on from the start (--watch); the dashboard switches it.
 */
export async function watchCompose(engine: Engine, meshDir: string, state: ComposeRunState, say: (line: string) => void, restarting: Set<string>, on: boolean) {
  const cli = await findCompose({ ...process.env, LOCALMESH_COMPOSE: state.compose });
  const target = composeTarget(state.project, state.dir, (state.files ?? []).slice(1));
  return startInnerLoop({
    meshDir,
    on,
    file: composeWatchFile(state.dir),
    say,
    async act({ rule, files, savedAt }, signal) {
      const { model } = await loadMesh(meshDir);
      const version: VersionModel | undefined = model?.services.flatMap((s) => s.versions).find((v) => v.proxy === rule.proxy);
      if (!version) throw new Error(`${rule.proxy} is not in the mesh as it is now (mesh up creates what the Mesh adds)`);
      const { steps, note } = watchSteps(rule, version, files.filter((f) => existsSync(f)));
      if (note) say(note);
      const apps = appServices(version);
      for (const app of apps) restarting.add(app);
      try {
        for (const step of steps) {
          const run = await runCompose(cli, target, step, signal);
          if (run.exitCode !== 0) throw new Error(`docker compose ${step.join(' ')} failed: ${composeFailure(String(run.all ?? ''))}`);
        }
        if (rule.action === 'rebuild' && version.spec.build !== undefined) {
          const build = longBuild(version.spec.build);
          const hashes = Object.fromEntries(await Promise.all(apps.map(async (app) => [app, await buildHash(state.dir, build)] as const)));
          await recordBuilds(state.dir, { ...(await recordedBuilds(state.dir)), ...hashes });
        }
        await waitUntil(`${apps.join(', ')} after ${rule.action}`, async () => {
          const containers = (await engine.stackContainers(state.project)).filter((c) => apps.includes(c.service));
          return containers.length === apps.length && containers.every((c) => c.state === 'running' && (!c.health || c.health === 'healthy'));
        }, { timeoutMs: 120_000, intervalMs: 100, signal });
      } finally {
        // Running again (or failed): a stop from now on is a crash for the healer.
        for (const app of apps) restarting.delete(app);
      }
      const servingMs = Date.now() - savedAt;
      return { healthyMs: servingMs, servingMs };
    },
  });
}
