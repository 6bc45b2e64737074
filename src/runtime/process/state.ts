// What `mesh up --runtime process` leaves in DIR/.mesh/process/: state.json (what runs, with
// pids, restarts and ports, for `mesh down`, `mesh logs` and a detached run), specs.json (how to
// start each process again, for the supervisor), the control plane's port map,
// one Envoy bootstrap per proxy and one log per process.
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PortMapFile } from '../../control/addressing-mode.ts';
import type { RunStateBase } from '../contract.ts';
import { readJson, writeJson } from '../json-file.ts';
import type { ProcessSpec } from './supervise.ts';

export type Role = 'control' | 'proxy' | 'app';

export interface ProcessRecord {
  /** `mesh-control`, `mesh-gateway`, `SERVICE-VERSION-proxy`, `SERVICE-VERSION` (the app). */
  name: string;
  role: Role;
  /** The service it belongs to (proxies and apps), for `mesh logs SERVICE`. */
  service?: string;
  pid: number;
  /** Linux's start time of the pid (/proc/PID/stat), so a reused pid is never signalled. */
  startTime?: string;
  command: string[];
  log: string;
  /** How often the supervisor restarted it after a crash. */
  restarts?: number;
  /** Set when the supervisor stopped restarting it: the sentence `mesh status` shows. */
  gaveUp?: string;
}

export interface ProcessRunState extends RunStateBase {
  runtime: 'process';
  detached: boolean;
  /** `mesh up` itself while it runs in the foreground. */
  up?: { pid: number; startTime?: string };
  control: { xdsPort: number; apiPort: number };
  processes: ProcessRecord[];
  /** `mesh up --watch`: code changes restart the versions whose `watch:` paths they are in. */
  watch?: boolean;
  /** The detached supervisor (`mesh supervise DIR`) that restarts crashed processes of a `mesh up -d`. */
  supervisor?: { pid: number; startTime?: string };
}

export interface StatePaths {
  root: string;
  state: string;
  /** How to start each process again (the supervisor's input). */
  specs: string;
  portMap: string;
  bootstraps: string;
  logs: string;
  /** The versions' inner loops under --watch (src/runtime/inner-loop.ts). */
  watch: string;
  log(name: string): string;
  bootstrap(proxy: string): string;
}

export function statePaths(dir: string): StatePaths {
  const root = join(resolve(dir), '.mesh', 'process');
  return {
    root,
    state: join(root, 'state.json'),
    specs: join(root, 'specs.json'),
    portMap: join(root, 'addressing.json'),
    bootstraps: join(root, 'envoy'),
    logs: join(root, 'logs'),
    watch: join(root, 'watch.json'),
    log: (name) => join(root, 'logs', `${name}.log`),
    bootstrap: (proxy) => join(root, 'envoy', `${proxy}.json`),
  };
}

export const readState = (dir: string) => readJson<ProcessRunState>(statePaths(dir).state);

export const writeState = (dir: string, state: ProcessRunState) => writeJson(statePaths(dir).state, state);

/** What the supervisor needs to start each process again, by name. */
export const readSpecs = (dir: string) => readJson<ProcessSpec[]>(statePaths(dir).specs);

// Only the user may read it: it holds each app's environment, secrets included.
export const writeSpecs = (dir: string, specs: readonly ProcessSpec[]) => writeJson(statePaths(dir).specs, specs, 0o600);

let portMapEdits: Promise<unknown> = Promise.resolve();

/**
 * Edits the port map of a run (restarts move an app's port, added versions add ports), one edit
 * at a time in this process, so that no edit writes back a port another one just moved. `edit`
 * gets the map as it is and returns what to write, or undefined to leave it.
 */
export function editPortMap<T>(dir: string, edit: (map: PortMapFile) => Promise<{ map?: PortMapFile; result: T }>): Promise<T> {
  const path = statePaths(dir).portMap;
  const run = portMapEdits.then(async () => {
    const map = await readJson<PortMapFile>(path);
    if (!map) throw new Error(`there is no port map ${path}: is the mesh up?`);
    const { map: next, result } = await edit(map);
    if (next) await writeJson(path, next);
    return result;
  });
  portMapEdits = run.catch(() => undefined);
  return run;
}

/** A fresh DIR/.mesh/process/ with the port map and the bootstraps; earlier logs are removed. */
export async function prepareStateDir(dir: string, portMap: PortMapFile, bootstraps: Map<string, unknown>): Promise<StatePaths> {
  const paths = statePaths(dir);
  await rm(paths.root, { recursive: true, force: true });
  await mkdir(paths.logs, { recursive: true });
  await mkdir(paths.bootstraps, { recursive: true });
  await writeJson(paths.portMap, portMap);
  for (const [proxy, config] of bootstraps) await writeJson(paths.bootstrap(proxy), config);
  return paths;
}

/** Removes state.json, the port map and bootstraps; the logs stay for `mesh logs` after a run. */
export async function removeState(dir: string): Promise<void> {
  const paths = statePaths(dir);
  await rm(paths.state, { force: true });
  await rm(paths.specs, { force: true });
  await rm(paths.watch, { force: true });
  await rm(paths.portMap, { force: true });
  await rm(paths.bootstraps, { recursive: true, force: true });
}
