// The control-plane process, assembled: the snapshot cache and the ADS server, the controller fed
// by the directory watcher, the traffic scraper and the HTTP API, all telling one event log.
import { unwatchFile, watchFile } from 'node:fs';
import { SnapshotCache } from '../xds/cache.ts';
import { startXdsServer } from '../xds/server.ts';
import { addressingMode } from './addressing-mode.ts';
import { startApi, type ApiRoutes } from './api.ts';
import { createController } from './controller.ts';
import { faultRoutes } from './fault-routes.ts';
import { eventLog, type EventLog } from './events.ts';
import { startScraper } from './scraper.ts';
import { watchMeshDir } from './watcher.ts';
import { loadOrCreateRoot } from './ca-root.ts';
import { tapStore } from './tap.ts';
import { traceStore } from './traces.ts';
import { graphRecorder } from './graph-recorder.ts';
import { WorkloadSecrets } from './secrets.ts';
import { watchers } from './watchers.ts';
import type { WatchSwitch } from './api.ts';
import type { ProxyStatus } from '../xds/types.ts';
import type { ProxySnapshot } from '../envoy/snapshot.ts';

/** How often the plane looks for certificates due for rotation. */
const ROTATION_CHECK_MS = 1000;

export interface PlaneOptions {
  dir: string;
  xdsPort: number;
  apiPort: number;
  /** Address the xDS server and the API listen on. */
  bind: string;
  /** Poll the files instead of waiting for events (mesh control --poll, mesh up --poll). */
  poll: boolean;
  /** `compose` or the path of a port map file. */
  addressing: string;
  /** Lifetime of the workload certificates the mesh CA issues (default: a day, as Istio's). */
  certLifetimeMs?: number;
  /** More routes for the API (the web view's, given by `mesh control`). */
  routes?: ApiRoutes;
  /** Problems outside the event log (the watcher's), as sentences. */
  warn(message: string): void;
}

export interface ControlPlane {
  xdsPort: number;
  apiPort: number;
  events: EventLog;
  close(): Promise<void>;
}

/** Starts everything; a port in use or a port map that cannot be read is an Error with a sentence. */
export async function startControlPlane(options: PlaneOptions): Promise<ControlPlane> {
  const { dir, bind, warn } = options;
  const mode = await addressingMode(options.addressing);
  const events = eventLog();
  const cache = new SnapshotCache();
  const secrets = new WorkloadSecrets({ root: () => loadOrCreateRoot(dir), dir, ...(options.certLifetimeMs ? { lifetimeMs: options.certLifetimeMs } : {}) });
  const controller = createController({ dir, addressing: mode, cache, secrets, onEvent: (e) => events.publish(e) });
  const closers: Array<() => unknown> = [() => controller.close()];
  const close = async () => {
    for (const fn of closers.reverse()) await fn();
  };
  try {
    // Watch first, then load: an edit made while starting is in the load or seen by the watcher.
    const watcher = await watchMeshDir(dir, {
      poll: options.poll,
      onChange: (path) => controller.changed(path),
      onError: (error) => warn(`Watching ${dir} failed: ${error.message}. Edits may go unseen; try --poll.`),
    });
    closers.push(() => watcher.close());
    await controller.reload();
    // Rotation: a certificate past half its lifetime is issued anew by a refresh and pushed over SDS.
    const rotation = setInterval(() => void (secrets.rotationDue() ? controller.refresh() : undefined), ROTATION_CHECK_MS);
    closers.push(() => clearInterval(rotation));
    if (mode.reread) {
      // The process runtime moves an app to a new port (a restart without a gap) or adds a
      // version's ports by writing the port map again: compile with the new ports.
      const reread = mode.reread.bind(mode);
      const onPortMap = () =>
        void reread()
          .then((moved) => (moved ? controller.refresh() : undefined))
          .catch((error: Error) => warn(`The port map could not be read again: ${error.message}`));
      watchFile(options.addressing, { interval: PORT_MAP_POLL_MS }, onPortMap);
      closers.push(() => unwatchFile(options.addressing, onPortMap));
    }
    const tap = tapStore();
    const traces = traceStore({ serviceOf: (proxy) => controller.snapshot(proxy)?.service ?? proxy });
    const xds = await listening('xDS', options.xdsPort, '--xds-port', () =>
      startXdsServer({ cache, host: bind, port: options.xdsPort, onAccessLog: (entries) => tap.add(entries), onSpans: (spans) => traces.add(spans) }),
    );
    closers.push(() => xds.close(), xds.subscribe((e) => events.publish(e)));
    const graph = graphRecorder(tap);
    closers.push(() => graph.close());
    const watch = watchSwitch(controller, () => xds.status());
    closers.push(() => watch.close());
    // A proxy's fault routes, by its lists of listeners and routes (the compiler shares and keeps
    // them: a runtime switch or an edit elsewhere keeps them, and with them this).
    const faults = new WeakMap<object, WeakMap<object, ReturnType<typeof faultRoutes>>>();
    const faultsOf = (snapshot: ProxySnapshot) => {
      let byRoutes = faults.get(snapshot.listeners);
      if (!byRoutes) faults.set(snapshot.listeners, (byRoutes = new WeakMap()));
      let found = byRoutes.get(snapshot.routes);
      if (!found) byRoutes.set(snapshot.routes, (found = faultRoutes(snapshot)));
      return found;
    };
    const traffic = startScraper({
      targets: () =>
        controller.status().proxies.flatMap((proxy) => {
          const statsUrl = mode.statsUrl(proxy);
          const snapshot = controller.snapshot(proxy);
          return statsUrl ? [{ proxy, statsUrl, faults: snapshot ? faultsOf(snapshot) : [] }] : [];
        }),
    });
    closers.push(() => traffic.close());
    const api = await listening('API', options.apiPort, '--api-port', () =>
      startApi({ host: bind, port: options.apiPort, controller, xds, events, traffic, tap, graph, traces, watch, ...(options.routes ? { routes: options.routes } : {}) }),
    );
    closers.push(() => api.close());
    return { xdsPort: xds.port, apiPort: api.port, events, close };
  } catch (error) {
    await close();
    throw error;
  }
}

const PORT_MAP_POLL_MS = 50;
/** How long a tap waits for the proxies to take a switch of the runtime before it starts anyway. */
const WATCH_READY_MS = 3000;

/**
 * Who watches, switching the proxies' runtime (controller.setWatched) on each change; `ready`
 * resolves once the switch is published and every connected proxy ACKed its runtime.
 */
function watchSwitch(controller: Pick<ReturnType<typeof createController>, 'setWatched'>, proxies: () => ProxyStatus[]): WatchSwitch & { close(): void } {
  let published: Promise<void> = Promise.resolve();
  const switched = watchers((on) => {
    published = controller.setWatched(on);
  });
  const taken = () =>
    proxies().every((p) => !p.connected || !p.subscribed.includes('runtime') || p.types.runtime.ackedVersion === p.types.runtime.latestVersion);
  return {
    ...switched,
    async ready() {
      const deadline = Date.now() + WATCH_READY_MS;
      await published;
      while (!taken() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    },
  };
}

async function listening<T>(what: string, port: number, flag: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const message = (error as Error).message;
    if ((error as { code?: string }).code === 'EADDRINUSE' || /EADDRINUSE|address already in use|No address added/i.test(message)) {
      throw new Error(`The ${what} port ${port} is in use: is another control plane running? Stop it, or choose another port with ${flag}.`);
    }
    throw error;
  }
}
