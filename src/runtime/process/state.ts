// What `mesh up --runtime process` leaves in DIR/.mesh/process/: state.json (what runs, with
// pids and ports, for `mesh down`, `mesh logs` and a detached run), the control plane's port map,
// one Envoy bootstrap per proxy and one log per process.
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PortMapFile } from '../../control/addressing-mode.ts';
import type { RunStateBase } from '../contract.ts';
import { readJson, writeJson } from '../json-file.ts';

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
}

export interface ProcessRunState extends RunStateBase {
  runtime: 'process';
  detached: boolean;
  /** `mesh up` itself while it runs in the foreground. */
  up?: { pid: number; startTime?: string };
  control: { xdsPort: number; apiPort: number };
  processes: ProcessRecord[];
}

export interface StatePaths {
  root: string;
  state: string;
  portMap: string;
  bootstraps: string;
  logs: string;
  log(name: string): string;
  bootstrap(proxy: string): string;
}

export function statePaths(dir: string): StatePaths {
  const root = join(resolve(dir), '.mesh', 'process');
  return {
    root,
    state: join(root, 'state.json'),
    portMap: join(root, 'addressing.json'),
    bootstraps: join(root, 'envoy'),
    logs: join(root, 'logs'),
    log: (name) => join(root, 'logs', `${name}.log`),
    bootstrap: (proxy) => join(root, 'envoy', `${proxy}.json`),
  };
}

export const readState = (dir: string) => readJson<ProcessRunState>(statePaths(dir).state);

export const writeState = (dir: string, state: ProcessRunState) => writeJson(statePaths(dir).state, state);

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
  await rm(paths.portMap, { force: true });
  await rm(paths.bootstraps, { recursive: true, force: true });
}
