// The Compose runtime as a Runtime: the mesh as a Compose stack on a Docker engine (the default
// when one answers); its run is DIR/.mesh/docker.json, the stack DIR/.mesh/compose.yaml.
import { resolve } from 'node:path';
import type { Runtime, VersionLoop } from '../contract.ts';
import { codeWatchOn, readWatchFile, setCodeWatch } from '../inner-loop.ts';
import { dockerAnswers } from './docker.ts';
import { doctor } from './doctor.ts';
import { superviseCompose } from './heal.ts';
import type { Engine } from './engine.ts';
import { readComposeState, type ComposeRunState } from './state.ts';
import { composeLogs, downCompose, upCompose } from './up.ts';
import { composeWatchFile } from './watch.ts';

/** The Compose runtime on `engine` (made once, by the composition root). */
export function composeRuntime(engine: Engine): Runtime<ComposeRunState> {
  return {
    name: 'docker',
    title: 'the Compose runtime',
    detect: async () =>
      (await dockerAnswers())
        ? { ok: true, why: 'A Docker engine answers' }
        : {
            ok: false,
            why: 'No Docker engine answers',
            problem: 'Docker is not running: no Docker engine answers (start Docker, or scripts/docker/setup), or use --runtime process.',
          },
    up: (model, dir, options) => upCompose(engine, model, dir, options),
    state: readComposeState,
    down: (dir, options) => downCompose(engine, dir, options),
    where: (state) => `Compose project ${state.project}`,
    facts: (state) => ({ project: state.project }),
    // The control plane sees the mesh directory mounted at /mesh.
    hostPath: (state, file) => (file.startsWith('/mesh') ? resolve(state.dir) + file.slice('/mesh'.length) : file),
    codeWatch: (state) => codeWatchOn(composeWatchFile(state.dir)),
    setCodeWatch: (state, on) => setCodeWatch(composeWatchFile(state.dir), on),
    workloads: async (state) => {
      const containers = await engine.stackContainers(state.project);
      const runs = new Map(containers.map((c) => [c.service, c.state === 'running']));
      const loops = (await readWatchFile(composeWatchFile(state.dir)).catch(() => undefined))?.versions ?? {};
      return containers.map((c) => ({
        name: c.service,
        state: c.exitCode !== undefined ? `${c.state} (${c.exitCode})` : c.state,
        ...(c.health ? { health: c.health } : {}),
        running: c.state === 'running',
        ...unreachable(c.service, state.services, runs),
        ...loopOf(c.service, state.services, loops),
      }));
    },
    async logs(dir, options) {
      const state = await readComposeState(dir);
      return state ? composeLogs(dir, state, options.filter, options.follow) : undefined;
    },
    async logTail(dir, name, lines) {
      const state = await readComposeState(dir).catch(() => undefined);
      if (!state) return undefined;
      const container = (await engine.stackContainers(state.project).catch(() => [])).find((c) => c.service === name);
      return container ? engine.containerLog(container.id, lines).catch(() => []) : [];
    },
    running: async () => ((await dockerAnswers()) ? engine.meshesRunning().catch(() => []) : []),
    supervise: (dir) => superviseCompose(engine, dir),
    doctor: (dir, model) => doctor(engine, dir, model),
  };
}

/** The inner loop of an app container's version (`S-v`, a replica `S-v-rN`) under --watch. */
function loopOf(service: string, roles: ComposeRunState['services'], loops: Record<string, VersionLoop>): { loop?: VersionLoop } {
  if (!roles.app.includes(service)) return {};
  const loop = loops[service.replace(/-r\d+$/, '')];
  return loop ? { loop } : {};
}

/** An app that runs while its pod's holder or sidecar does not: no call reaches it, and it reaches nothing. */
function unreachable(service: string, roles: ComposeRunState['services'], runs: Map<string, boolean>): { problem?: string } {
  if (!roles.app.includes(service) || !runs.get(service)) return {};
  const down = [`${service}-pod`, `${service}-proxy`].filter((name) => (roles.pod.includes(name) || roles.proxy.includes(name)) && runs.get(name) !== true);
  return down.length ? { problem: `unreachable: ${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} down (the healer starts ${down.length > 1 ? 'them' : 'it'} again; mesh up reconciles)` } : {};
}
