// The process runtime follows the Mesh while it runs: a version or service added to the Mesh file
// is started (its sidecar, then its app) and one removed is stopped (so is a gateway proxy, for a
// Gateway selector added or gone), without restarting anything
// else, as `docker compose up -d` creates and removes services. A new version's ports are written
// to the port map first (handed out as the control plane would hand them out, so both agree);
// a removed version is stopped once the control plane no longer sends traffic to it (every other
// proxy SYNCED on a config without it) and its requests are done. A version whose command, env or
// folder changed is restarted with a surge (restart.ts), as a code edit under `watch:` is.
import { envoyName, portKey } from '../../config/names.ts';
import { loadMesh } from '../../config/index.ts';
import { followMeshDir, type MeshFollower } from '../mesh-follower.ts';
import { sleep } from '../interrupt.ts';
import { writeJson } from '../json-file.ts';
import { fetchProxies, unsynced, waitUntil } from '../readiness.ts';
import { appReady } from './app-ready.ts';
import { missingCommands, type AppSpec } from './plan.ts';
import type { Planner } from './planner.ts';
import { freePorts, portFree } from '../ports.ts';
import { extendPortMap } from './port-map.ts';
import { editPortMap, statePaths, writeSpecs, type ProcessRunState } from './state.ts';
import { restartApp } from './restart.ts';
import { start, stopAll, type ProcessSpec, type Supervisor } from './supervise.ts';

export interface FollowOptions {
  dir: string;
  state: Pick<ProcessRunState, 'api' | 'control'>;
  supervisor: Supervisor;
  plan: Planner;
  say(line: string): void;
  poll?: boolean;
  timeoutMs?: number;
  debounceMs?: number;
}

export type Following = MeshFollower;

/** Requests a sidecar's HTTP listeners are serving now (its admin's downstream_rq_active); 0 when it does not answer. */
async function requestsActive(adminPort: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${adminPort}/stats?filter=downstream_rq_active$`, { signal: AbortSignal.timeout(1000) });
    const text = await res.text();
    return [...text.matchAll(/^http\.([^:]+)\.downstream_rq_active: (\d+)$/gm)]
      .filter((m) => m[1] !== 'admin') // this very request
      .reduce((sum, m) => sum + Number(m[2]), 0);
  } catch {
    return 0;
  }
}

/** Whether the Mesh now says to start an app otherwise than the running one was (command, env, folder, healthcheck). */
function startsDifferently(running: ProcessSpec | undefined, next: AppSpec): boolean {
  const declared = (running as AppSpec | undefined)?.declared;
  return declared !== undefined && next.declared !== undefined && declared !== next.declared;
}

export async function followMesh(options: FollowOptions): Promise<Following> {
  const { dir, supervisor, say } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const paths = statePaths(dir);

  async function sync(signal: AbortSignal): Promise<void> {
    const { model } = await loadMesh(dir);
    if (!model) return; // the control plane says why, and keeps serving the last good mesh
    const missing = missingCommands(model);
    if (missing) return say(`Not starting what the Mesh adds: ${missing}.`);
    // Planned on the port map as it is (a restart may move a port meanwhile), with the new keys
    // written at once: the control plane hands them out the same way until it reads them.
    const { plan, ports } = await editPortMap(dir, async (now) => {
      const { portMap, added } = extendPortMap(model, now);
      // A port handed out so that is taken by something else (another mesh) gets a free one instead
      // (the control plane then serves its own choice until it reads the file, a moment later).
      const taken = new Set(Object.values(portMap.ports));
      for (const key of added) {
        if (await portFree(portMap.ports[key]!)) continue;
        const [free] = await freePorts(1, taken);
        portMap.ports[key] = free!;
        taken.add(free!);
      }
      const planned = options.plan(model, { portMap, control: options.state.control, notes: [] });
      return { ...(added.length > 0 ? { map: portMap } : {}), result: { plan: planned, ports: portMap.ports } };
    });
    const wanted = [...plan.proxies, ...plan.apps];
    const names = new Set(supervisor.current().map((r) => r.name));
    const adding = wanted.filter((spec) => !names.has(spec.name));
    const wantedNames = new Set([plan.control.name, ...wanted.map((s) => s.name)]);
    const removing = supervisor.current().filter((r) => !wantedNames.has(r.name));
    const changed = plan.apps.filter((spec) => names.has(spec.name) && startsDifferently(supervisor.spec(spec.name), spec));
    if (adding.length === 0 && removing.length === 0 && changed.length === 0) return;

    for (const spec of changed) {
      say(`Restarting ${spec.name} (its command or env changed in the Mesh)`);
      const since = Date.now();
      await restartApp(spec.name, { dir, supervisor, since, signal, spec })
        .then((r) => say(`${spec.name} runs as the Mesh says now (serving after ${((r.servingMs) / 1000).toFixed(2)} s)`))
        .catch((error: Error) => say(`${spec.name} could not be restarted with its new command or env: ${error.message}; the old one keeps serving.`));
    }

    if (adding.length > 0) {
      const newProxies = plan.proxyIds.filter((id) => adding.some((s) => s.name === envoyName(id)));
      for (const id of newProxies) await writeJson(paths.bootstrap(id), plan.bootstraps.get(id));
      const proxies = adding.filter((s) => s.role === 'proxy').map((spec) => ({ spec, started: start(spec) }));
      const apps = adding.filter((s) => s.role === 'app').map((spec) => ({ spec: spec as AppSpec, started: start(spec) }));
      for (const { spec, started } of [...proxies, ...apps]) supervisor.add(started, spec);
      await writeSpecs(dir, supervisor.specs());
      say(`Starting ${adding.map((s) => s.name).join(', ')} (added to the mesh)`);
      await Promise.all(apps.map(({ spec, started }) => appReady(spec, started, timeoutMs, signal)));
      let behind: string[] = [];
      await waitUntil('the new proxies', async () => (behind = await unsynced(options.state.api, newProxies)).length === 0, {
        timeoutMs, signal, still: () => `not SYNCED: ${behind.join(', ')}`,
      });
      say(`${adding.map((s) => s.name).join(', ')} started`);
    }

    if (removing.length > 0) {
      const gone = new Set(removing.map((r) => r.name));
      // No proxy left is sent a config with the removed versions in it.
      await waitUntil('the proxies to stop sending to the removed versions', async () => {
        const proxies = await fetchProxies(options.state.api);
        const others = plan.proxyIds.filter((id) => proxies.some((p) => p.id === id));
        return (await unsynced(options.state.api, others)).length === 0;
      }, { timeoutMs, signal });
      // Then the requests its sidecar is serving finish (bounded).
      const admins = removing.flatMap((r) => {
        const port = r.role === 'app' ? ports[portKey.admin(r.name)] : undefined;
        return port === undefined ? [] : [port];
      });
      const until = Date.now() + 5000;
      while (!signal.aborted && Date.now() < until && (await Promise.all(admins.map(requestsActive))).some((n) => n > 0)) await sleep(20);
      const records = removing.map((r) => supervisor.remove(r.name)!);
      await writeSpecs(dir, supervisor.specs());
      await stopAll(records);
      say(`Stopped ${[...gone].join(', ')} (removed from the mesh)`);
    }
  }

  return followMeshDir({ dir, sync, say, what: "Following the mesh's services", ...(options.poll ? { poll: true } : {}), ...(options.debounceMs ? { debounceMs: options.debounceMs } : {}) });
}
