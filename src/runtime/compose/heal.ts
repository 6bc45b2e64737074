// Pods that heal on Compose. Docker's restart policies (unless-stopped, in compose/) bring back a
// container whose process crashed; they leave alone one that was stopped from outside (`docker
// kill`, `docker stop`, the OOM killer's kin), which is what takes a sidecar down on a laptop.
// The healer watches the stack's `die` events and starts such a container again, with the same
// backoff and giving-up as the process runtime's supervisor (runtime/detached.ts). A pod whose
// namespace holder died has lost its network namespace: the holder starts again, the capture
// step runs again in the new namespace, and the proxy and the app restart into it.
// It runs in `mesh up`'s own process in the foreground, and in `mesh supervise DIR` (a process
// of its own that outlives `mesh up -d`, stopped first by `mesh down`) for a detached run.
import { resolve } from 'node:path';
import type { Stack } from '../../compose/stack.ts';
import { afterCrash, identity, RESTART, type CrashHistory } from '../detached.ts';
import { sleep } from '../interrupt.ts';
import type { Engine } from './engine.ts';
import { readComposeState, writeComposeState, type ComposeRunState } from './state.ts';
import { followComposeMesh } from './follow.ts';
import { watchCompose } from './watch.ts';

export interface HealOptions {
  say(line: string): void;
  signal: AbortSignal;
  /** Services stopped on purpose right now (mesh up --watch restarting or recreating them): not a crash. */
  onPurpose?: ReadonlySet<string>;
  policy?: typeof RESTART;
}

type Roles = Stack['services'];

/** The Compose services of the pod a pod-holder service (`S-v-pod`) belongs to. */
export function podMembers(pod: string, roles: Roles): { init?: string; proxy?: string; app?: string } {
  const base = pod.replace(/-pod$/, '');
  const pick = (list: string[], name: string) => (list.includes(name) ? name : undefined);
  const init = pick(roles.init, `${base}-init`);
  const proxy = pick(roles.proxy, `${base}-proxy`);
  const app = pick(roles.app, base);
  return { ...(init ? { init } : {}), ...(proxy ? { proxy } : {}), ...(app ? { app } : {}) };
}

/** `roles`: the stack's services by role, or where to read them now (a stack that follows the Mesh file changes them). */
export async function healStack(engine: Engine, project: string, roles: Roles | (() => Roles), options: HealOptions): Promise<void> {
  const { say, signal } = options;
  const policy = options.policy ?? RESTART;
  const now = () => (typeof roles === 'function' ? roles() : roles);
  const roleOf = (service: string) => Object.entries(now()).find(([, names]) => names.includes(service))?.[0];
  const history = new Map<string, CrashHistory>();
  const busy = new Set<string>();
  const byService = async (service: string) => (await engine.stackContainers(project)).find((c) => c.service === service);

  const rejoin = async (pod: string) => {
    const { init, proxy, app } = podMembers(pod, now());
    const capture = init ? await byService(init) : undefined;
    if (capture) {
      await engine.startContainer(capture.id);
      const code = await engine.waitContainer(capture.id);
      if (code !== 0) return say(`${init} (the capture rules) exited with ${code} in the new namespace of ${pod}: mesh logs ${init}.`);
    }
    for (const name of [proxy, app]) {
      const c = name ? await byService(name) : undefined;
      if (c) await engine.restartContainer(c.id).catch((e: Error) => say(`could not restart ${name}: ${e.message}`));
    }
    say(`${pod}: capture rules installed again; ${[proxy, app].filter(Boolean).join(' and ')} restarted into the new namespace`);
  };

  const heal = async (id: string, service: string) => {
    const role = roleOf(service);
    if (!role || role === 'init' || busy.has(service) || signal.aborted || options.onPurpose?.has(service)) return;
    busy.add(service);
    try {
      const status = await engine.containerStatus(id);
      if (!status) return;
      const ranMs = Date.now() - Date.parse(status.startedAt);
      const next = afterCrash(history.get(service) ?? { times: [], streak: 0 }, Number.isFinite(ranMs) ? ranMs : 0, Date.now(), policy);
      history.set(service, next.history);
      if (next.delayMs === undefined) {
        say(`${service} stopped ${policy.crashes} times within ${policy.withinMs / 1000} s; no longer restarted (mesh logs ${service}; mesh up reconciles the stack).`);
        return;
      }
      await sleep(next.delayMs);
      if (signal.aborted) return;
      const now = await engine.containerStatus(id);
      if (!now || now.running || now.restarting) return; // removed (mesh down), or Docker's own policy restarted it
      await engine.startContainer(id);
      say(`${service} stopped (exit ${status.exitCode}); started again after ${next.delayMs} ms`);
      if (role === 'pod') await rejoin(service);
    } catch (error) {
      if (!signal.aborted) say(`could not restart ${service}: ${(error as Error).message}`);
    } finally {
      busy.delete(service);
    }
  };

  const stop = await engine.onDie(project, (id, service) => void heal(id, service));
  await new Promise<void>((done) => (signal.aborted ? done() : signal.addEventListener('abort', () => done(), { once: true })));
  stop();
}

/**
 * `mesh supervise DIR` on Compose: records itself in DIR/.mesh/docker.json, heals the stack until
 * SIGTERM (`mesh down`), one line per event on stdout (its log).
 */
export async function superviseCompose(engine: Engine, meshDir: string): Promise<number> {
  const dir = resolve(meshDir);
  const state = await readComposeState(dir);
  if (!state) {
    console.error(`mesh supervise: no Compose stack runs from ${dir} (mesh up -d ${meshDir} starts one).`);
    return 1;
  }
  const say = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const controller = new AbortController();
  for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(name, () => controller.abort());
  const supervised: ComposeRunState = { ...state, supervisor: identity(process.pid) };
  await writeComposeState(dir, supervised);
  say(`healing the Compose stack ${state.project} of ${dir}`);
  const restarting = new Set<string>();
  const code = await watchCompose(engine, meshDir, state, say, restarting, state.watch === true);
  const following = await followComposeMesh(engine, dir, supervised, { say });
  await healStack(engine, state.project, following.roles, { say, signal: controller.signal, onPurpose: restarting });
  await following.close();
  await code?.close();
  say('stopped');
  return 0;
}
