// A running Compose stack follows the Mesh file, as the process runtime does (process/follow.ts):
// a version or service added to the Mesh is created (its pod: holder, capture, sidecar, app), one
// removed is removed, and a version whose command, env, image or ports changed is recreated.
// `compose up -d --remove-orphans` on the stack generated again does it (without running the capture
// step of a pod that stays again), and Compose leaves every container that did not change running. The control plane reads the same files and pushes
// first; a removal waits until every proxy is SYNCED (so none sends to it any more). A Mesh file
// that does not load changes nothing: the control plane says why, and serves the last good one.
// Runs beside the healer (heal.ts): in `mesh up`'s process in the foreground, in `mesh supervise`.
import { readFile } from 'node:fs/promises';
import { loadMesh } from '../../config/index.ts';
import type { Stack } from '../../compose/stack.ts';
import { loadOrCreateRoot } from '../../control/ca-root.ts';
import { prepareLocalCertificates } from '../../control/credentials.ts';
import { followMeshDir, type MeshFollower } from '../mesh-follower.ts';
import { unsynced, waitUntil } from '../readiness.ts';
import { composeFailure, composeFile, findCompose, runCompose } from './cli.ts';
import type { Engine } from './engine.ts';
import { buildChanged, stackOf } from './generate.ts';
import { ensureImages } from './images.ts';
import { waitReady } from './ready.ts';
import { writeComposeState, writeStack, type ComposeRunState } from './state.ts';

export interface FollowComposeOptions {
  say(line: string): void;
  poll?: boolean;
  debounceMs?: number;
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
}

export interface ComposeFollowing extends MeshFollower {
  /** The stack's services by role as they are now (for the healer). */
  roles(): Stack['services'];
}

const pods = (services: Stack['services']) => new Set(services.pod.map((p) => p.replace(/-pod$/, '')));

export async function followComposeMesh(engine: Engine, dir: string, initial: ComposeRunState, options: FollowComposeOptions): Promise<ComposeFollowing> {
  const { say } = options;
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 90_000;
  let state = initial;

  async function sync(signal: AbortSignal): Promise<void> {
    const { model } = await loadMesh(dir);
    if (!model) return;
    const { stack, target } = await stackOf(model, dir, env, Number(new URL(state.api).port));
    const written = await readFile(composeFile(dir), 'utf8').catch(() => '');
    if (stack.compose === written) return;
    const before = pods(state.services);
    const after = pods(stack.services);
    const added = [...after].filter((p) => !before.has(p));
    const removed = [...before].filter((p) => !after.has(p));
    const what = [added.length ? `adding ${added.join(', ')}` : '', removed.length ? `removing ${removed.join(', ')}` : ''].filter(Boolean).join('; ');
    say(`The Mesh changed: updating the Compose stack (${what || 'recreating what changed'})`);
    const cli = await findCompose({ ...env, LOCALMESH_COMPOSE: state.compose });
    await ensureImages(engine, stack, { policy: 'missing', say, env });
    if (removed.length > 0) {
      // No proxy left is sent a config with the removed versions in it (the control plane pushes first).
      await waitUntil('the proxies to stop sending to the removed versions', async () => (await unsynced(state.api, stack.proxyIds)).length === 0, {
        timeoutMs: 10_000,
        signal,
      }).catch(() => say('Not every proxy is SYNCED; removing the versions anyway.'));
    }
    await writeStack(dir, stack);
    // A new HTTPS server's local certificate, made here as mesh up makes it (the control plane reads the directory read-only).
    await prepareLocalCertificates(model, dir, () => loadOrCreateRoot(dir));
    // From now on the healer knows the new services only: a removed one that stops is not brought back.
    state = { ...state, services: stack.services, proxyIds: stack.proxyIds };
    await writeComposeState(dir, state);
    await buildChanged(cli, target, stack, dir, say, signal);
    // Not the capture step of a pod that stays: `up` would run it again (it exited), and while it
    // empties and refills its chains a new connection of that pod would pass uncaptured.
    const kept = new Set([...before].filter((p) => after.has(p)).map((p) => `${p}-init`));
    const services = Object.values(stack.services).flat().filter((s) => !kept.has(s));
    const up = await runCompose(cli, target, ['up', '-d', '--remove-orphans', '--no-deps', ...services], signal);
    if (up.exitCode !== 0) throw new Error(composeFailure(String(up.all ?? '')));
    await waitReady(engine, stack, timeoutMs, signal);
    say(`The Compose stack follows the Mesh${what ? `: ${what.replace('adding', 'added').replace('removing', 'removed')}` : ''}`);
  }

  const follower = await followMeshDir({ dir, sync, say, what: 'Following the Mesh file', ...(options.poll ? { poll: true } : {}), debounceMs: options.debounceMs ?? 300 });
  return { roles: () => state.services, idle: () => follower.idle(), close: () => follower.close() };
}
