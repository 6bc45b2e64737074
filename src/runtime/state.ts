// What `mesh up --runtime process` leaves in DIR/.mesh/process/: state.json (what runs, with
// pids and ports, for `mesh down`, `mesh logs` and a detached run), the control plane's port map,
// one Envoy bootstrap per proxy and one log per process.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PortMapFile } from '../control/addressing-mode.ts';

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

export interface RunState {
  runtime: 'process';
  /** The mesh directory, absolute. */
  dir: string;
  startedAt: string;
  detached: boolean;
  /** `mesh up` itself while it runs in the foreground. */
  up?: { pid: number; startTime?: string };
  control: { xdsPort: number; apiPort: number; api: string };
  gateways: string[];
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

export async function readState(dir: string): Promise<RunState | undefined> {
  try {
    return JSON.parse(await readFile(statePaths(dir).state, 'utf8')) as RunState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${statePaths(dir).state} cannot be read (${(error as Error).message}); remove it if nothing runs.`);
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(value, null, 2) + '\n');
  await rename(temp, path);
}

export const writeState = (dir: string, state: RunState) => writeJson(statePaths(dir).state, state);

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
