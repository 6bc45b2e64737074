// Restarting one app of the process runtime without a failed request, as a Kubernetes rolling
// update with a surge does: the new process starts beside the old one on a new port, takes
// traffic only once it answers its healthcheck (the port map is written again, the control plane
// pushes the sidecar's inbound cluster at the new port, and the sidecar serves it), and the old
// one is stopped once the requests it was serving are done (no connection to its port is left,
// bounded). A new process that does not become healthy is stopped and the old one keeps serving.
import { readFile } from 'node:fs/promises';
import { portKey } from '../../config/names.ts';
import type { PortMapFile } from '../../control/addressing-mode.ts';
import { sleep } from '../interrupt.ts';
import { readJson } from '../json-file.ts';
import { freePorts } from '../ports.ts';
import { waitUntil } from '../readiness.ts';
import { appReady } from './app-ready.ts';
import type { AppSpec } from './plan.ts';
import { editPortMap, statePaths, writeSpecs } from './state.ts';
import { start, stopAll, type Supervisor } from './supervise.ts';

export interface Restarted {
  /** Milliseconds from `since` until the new process answered its healthcheck. */
  healthyMs: number;
  /** … until its sidecar sent requests to it (the old one takes no new requests from then on). */
  servingMs: number;
  /** … until the old process was stopped. */
  doneMs: number;
}

export interface RestartOptions {
  dir: string;
  supervisor: Supervisor;
  /** Where the loop is timed from (the save). */
  since: number;
  timeoutMs?: number;
  /** How long the old process may keep finishing requests after it takes no new ones. */
  drainMs?: number;
  /** Aborted when the run stops (mesh down): the new process is stopped, or the old one at once. */
  signal?: AbortSignal;
  /** How to start the new process, when that changed (the Mesh's command or env); else as the old one. */
  spec?: AppSpec;
}

/** The healthcheck of `health` moved from one port to another (a check on another port stays). */
function moved(health: AppSpec['health'], from: number, to: number): AppSpec['health'] {
  if ('port' in health) return health.port === from ? { port: to } : health;
  const url = new URL(health.url);
  if (Number(url.port) === from) url.port = String(to);
  return { url: url.toString() };
}

/** Whether the sidecar (its admin API) has its inbound cluster at `port` only. */
async function inboundAt(adminPort: number, port: number, old: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/clusters`, { signal: AbortSignal.timeout(2000) });
  const lines = (await res.text()).split('\n').filter((line) => line.startsWith('inbound|'));
  return lines.some((line) => line.includes(`::127.0.0.1:${port}::`)) && !lines.some((line) => line.includes(`::127.0.0.1:${old}::`));
}

/** TCP connections established to a local port (Linux's /proc/net/tcp*); undefined without /proc. */
export async function connectionsTo(port: number): Promise<number | undefined> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  let read = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    read = true;
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '01' && local?.endsWith(`:${hex}`)) count++;
    }
  }
  return read ? count : undefined;
}

/** Restarts the app `name` (an app the supervisor watches) from its spec; rejects, with the old one serving, when the new one fails. */
export async function restartApp(name: string, options: RestartOptions): Promise<Restarted> {
  const { dir, supervisor, since } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const spec = options.spec ?? (supervisor.spec(name) as AppSpec | undefined);
  const old = supervisor.current().find((r) => r.name === name);
  if (!spec || spec.role !== 'app' || !old) throw new Error(`${name} is not an app of this mesh`);
  const paths = statePaths(dir);
  const map = await readJson<PortMapFile>(paths.portMap);
  const oldPort = map?.ports[spec.portKey];
  const adminPort = map?.ports[portKey.admin(name)];
  if (!map || oldPort === undefined || adminPort === undefined) throw new Error(`the port map ${paths.portMap} has no port for ${name}`);
  const [port] = await freePorts(1, new Set(Object.values(map.ports)));
  const next: AppSpec = { ...spec, env: { ...spec.env, PORT: String(port) }, health: moved(spec.health, oldPort, port!) };

  const { signal } = options;
  const started = start(next);
  try {
    await appReady(next, started, timeoutMs, signal);
  } catch (error) {
    await stopAll([started.record]);
    throw error;
  }
  const healthyMs = Date.now() - since;
  let servingMs: number;
  try {
    // The port map is the control plane's addressing: it compiles the mesh again with the new port.
    await editPortMap(dir, async (now) => ({ map: { ...now, ports: { ...now.ports, [spec.portKey]: port! } }, result: undefined }));
    supervisor.replace(started, next);
    await writeSpecs(dir, supervisor.specs());
    await waitUntil(`the sidecar of ${name} sending to its new process`, () => inboundAt(adminPort, port!, oldPort), {
      timeoutMs, exited: started.exited, intervalMs: 20, ...(signal ? { signal } : {}),
    });
    servingMs = Date.now() - since;
    const drainUntil = Date.now() + (options.drainMs ?? 5000);
    while (!signal?.aborted) {
      const open = await connectionsTo(oldPort);
      if (open === 0 || Date.now() > drainUntil) break;
      if (open === undefined) {
        await sleep(Math.min(1000, drainUntil - Date.now())); // no /proc: a second for what is in flight
        break;
      }
      await sleep(20);
    }
  } finally {
    // The supervisor watches the new process from here on: the old one is stopped whatever happens.
    await stopAll([old]);
  }
  return { healthyMs, servingMs, doneMs: Date.now() - since };
}
