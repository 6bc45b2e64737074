// `mesh status`: what runs for a mesh directory, whichever runtime started it — the containers
// (Compose runtime) or processes (process runtime), each proxy's xDS sync, and the control
// plane's current diagnostics (an invalid edit shows here while the last good config serves).
import { resolve } from 'node:path';
import type { Diagnostic } from '../config/diagnostics.ts';
import type { ControlStatus } from '../control/controller.ts';
import type { ResourceKind } from '../envoy/snapshot.ts';
import type { ProxyStatus, SyncState } from '../xds/types.ts';
import { readComposeState } from './compose-state.ts';
import { stackContainers } from './engine.ts';
import { readState } from './state.ts';
import { alive } from './supervise.ts';

export interface Workload {
  name: string;
  /** running, exited (0), created, …; for processes: running or stopped. */
  state: string;
  health?: string;
}

export interface MeshStatus {
  runtime: 'docker' | 'process' | 'none';
  dir: string;
  project?: string;
  api?: string;
  gateways: string[];
  workloads: Workload[];
  /** Each proxy's sync state as the server publishes it (xds/sync.ts), and its types'. */
  proxies: Array<{ id: string; connected: boolean; sync: SyncState; types: Partial<Record<ResourceKind, SyncState>> }>;
  /** `pending`: the files changed since they were loaded and a reload is under way (see ControlStatus). */
  config?: { version?: string; valid: boolean; pending?: boolean; diagnostics: Diagnostic[] };
  /** Why the control plane's API could not be read. */
  apiError?: string;
}

async function get<T>(api: string, path: string): Promise<T> {
  const response = await fetch(new URL(path, api), { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`${path} answered HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** The control plane's view: proxies and config; paths it reports inside a container (/mesh/…) made the host's. */
async function controlView(api: string, dir: string, inContainer: boolean): Promise<Pick<MeshStatus, 'proxies' | 'config' | 'apiError'>> {
  try {
    const [proxies, status] = await Promise.all([get<ProxyStatus[]>(api, '/proxies'), get<ControlStatus>(api, '/status')]);
    const hostPath = (file: string) => (inContainer && file.startsWith('/mesh') ? resolve(dir) + file.slice('/mesh'.length) : file);
    return {
      proxies: proxies.map((p) => ({ id: p.id, connected: p.connected, sync: p.sync, types: Object.fromEntries(Object.entries(p.types).map(([k, t]) => [k, t.state])) })),
      config: {
        ...(status.version ? { version: status.version } : {}),
        valid: status.valid,
        ...(status.pending ? { pending: true } : {}),
        diagnostics: status.diagnostics.map((d) => ({ ...d, file: hostPath(d.file) })),
      },
    };
  } catch (error) {
    return { proxies: [], apiError: `the control plane at ${api} does not answer (${(error as Error).message})` };
  }
}

export async function meshStatus(dir: string): Promise<MeshStatus> {
  const compose = await readComposeState(dir);
  if (compose) {
    const containers = await stackContainers(compose.project);
    return {
      runtime: 'docker',
      dir: compose.dir,
      project: compose.project,
      api: compose.api,
      gateways: compose.gateways,
      workloads: containers.map((c) => ({
        name: c.service,
        state: c.exitCode !== undefined ? `${c.state} (${c.exitCode})` : c.state,
        ...(c.health ? { health: c.health } : {}),
      })),
      ...(await controlView(compose.api, dir, true)),
    };
  }
  const state = await readState(dir);
  if (state) {
    return {
      runtime: 'process',
      dir: state.dir,
      api: state.control.api,
      gateways: state.gateways,
      workloads: state.processes.map((p) => ({ name: p.name, state: alive(p) ? 'running' : 'stopped' })),
      ...(await controlView(state.control.api, dir, false)),
    };
  }
  return { runtime: 'none', dir: resolve(dir), gateways: [], workloads: [], proxies: [] };
}
