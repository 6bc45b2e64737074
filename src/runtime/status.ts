// `mesh status`: what runs for a mesh directory, whichever runtime started it (asked through the
// Runtime contract) — its containers or processes, each proxy's xDS sync, and the control
// plane's current diagnostics (an invalid edit shows here while the last good config serves).
import { resolve } from 'node:path';
import type { Diagnostic } from '../config/diagnostics.ts';
import type { ControlStatus } from '../control/controller.ts';
import type { ResourceKind } from '../envoy/snapshot.ts';
import type { ProxyStatus, SyncState } from '../xds/types.ts';
import type { Runtimes, Workload } from './contract.ts';

export interface MeshStatus {
  /** The runtime's name (`docker`, `process`), or none. */
  runtime: string;
  dir: string;
  /** How it runs, for a person: `Compose project canary`, `processes`. */
  where?: string;
  /** The Compose project (Compose runtime). */
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

/** The control plane's view: proxies and config; the paths it reports made the host's. */
async function controlView(api: string, hostPath: (file: string) => string): Promise<Pick<MeshStatus, 'proxies' | 'config' | 'apiError'>> {
  try {
    const [proxies, status] = await Promise.all([get<ProxyStatus[]>(api, '/proxies'), get<ControlStatus>(api, '/status')]);
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

export async function meshStatus(runtimes: Runtimes, dir: string): Promise<MeshStatus> {
  const running = await runtimes.running(dir);
  if (!running) return { runtime: 'none', dir: resolve(dir), gateways: [], workloads: [], proxies: [] };
  const { runtime, state } = running;
  return {
    runtime: runtime.name,
    dir: state.dir,
    where: runtime.where(state),
    ...runtime.facts(state),
    api: state.api,
    gateways: state.gateways,
    workloads: await runtime.workloads(state),
    ...(await controlView(state.api, (file) => runtime.hostPath(state, file))),
  };
}
