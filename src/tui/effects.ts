// The dashboard's I/O: polls the control plane's API (/status, /proxies, /traffic; /graph while shown), follows its
// event stream (/events), reads the mesh files, what runs and the selected service's log (through
// the Runtime contract, whichever runtime runs the mesh), and carries out the commands of the keys: weight and fault edits written to the
// YAML files (validated first; the control plane's hot reload applies them), the editor, and the
// traffic generator. Everything it learns goes back into the store as actions.
import { readFile } from 'node:fs/promises';
import { applyEdit } from '../config/apply-edit.ts';
import { formatDiagnostic, hasErrors } from '../config/diagnostics.ts';
import { nextFault, routePosition, setFault } from '../config/edit-fault.ts';
import { loadMesh } from '../config/index.ts';
import { writeRouteWeights } from '../config/write-weights.ts';
import type { MeshModel } from '../config/model.ts';
import { apiGet, apiStream } from '../control/client.ts';
import type { ControlStatus } from '../control/controller.ts';
import type { ControlEvent } from '../control/events.ts';
import type { TrafficReport } from '../control/traffic.ts';
import type { GraphReport } from '../control/graph.ts';
import { startLoad, type Load } from '../load/generator.ts';
import type { Runtimes } from '../runtime/contract.ts';
import type { TapEntry } from '../xds/access-log.ts';
import type { ProxyStatus } from '../xds/types.ts';
import { meshView, type RouteInfo } from './mesh-view.ts';
import { readCanaryState, sendCanaryCommand } from '../canary/state-file.ts';
import { steering, type Action } from './state.ts';
import type { Store } from './store.ts';
import { selectedRoute, selectedService } from './view.ts';

export interface EffectsOptions {
  store: Store;
  /** The runtimes, asked which one runs the mesh of the directory (runtime/registry.ts). */
  runtimes: Runtimes;
  /** Opens `file` at `line` in the user's editor with the terminal handed over; resolves when it exits. */
  openEditor(file: string, line: number): Promise<void>;
  pollMs?: number;
  /** The window of /traffic the observed split is taken over. */
  trafficWindowMs?: number;
  /** The window of /graph (the traffic pane after g). */
  graphWindowMs?: number;
}

export interface Effects {
  /** Resolves once the API, the mesh files and what runs were read once. */
  ready: Promise<void>;
  stop(): void;
}

const LOG_LINES = 200;
const EVENT_BATCH_MS = 100;

export function startEffects(options: EffectsOptions): Effects {
  const { store, runtimes } = options;
  const pollMs = options.pollMs ?? 1000;
  const dispatch = (action: Action) => store.dispatch(action);
  const say = (text: string, error = false) => dispatch({ type: 'message', text, error });
  const state = () => store.getState();
  const timers: NodeJS.Timeout[] = [];
  const abort = new AbortController();
  let stopped = false;
  let model: MeshModel | undefined;
  let load: Load | undefined;
  let dir = state().dir;

  // ---- the mesh files ----
  let reading: Promise<void> | undefined;
  let readAgain = false;
  async function readMesh(): Promise<void> {
    if (!dir) return;
    if (reading) {
      readAgain = true;
      return reading;
    }
    reading = (async () => {
      do {
        readAgain = false;
        const { model: next, diagnostics } = await loadMesh(dir!);
        if (next && !hasErrors(diagnostics)) {
          model = next;
          dispatch({ type: 'mesh', mesh: meshView(next) });
        } else {
          const first = diagnostics.find((d) => d.severity === 'error');
          dispatch({ type: 'meshProblem', problem: `The mesh files are invalid: ${first ? formatDiagnostic(first).split('\n')[0] : 'no mesh found'}` });
        }
      } while (readAgain && !stopped);
    })().finally(() => (reading = undefined));
    return reading;
  }

  // ---- the control plane ----
  async function poll(): Promise<void> {
    const { api } = state();
    try {
      const window = options.trafficWindowMs ?? 3000;
      const [status, proxies, traffic] = await Promise.all([
        apiGet<ControlStatus>(api, '/status'),
        apiGet<ProxyStatus[]>(api, '/proxies'),
        apiGet<TrafficReport>(api, `/traffic?window=${window}`),
      ]);
      if (stopped) return;
      dispatch({ type: 'connection', ok: true });
      dispatch({ type: 'status', status });
      dispatch({ type: 'proxies', proxies });
      dispatch({ type: 'traffic', traffic });
      if (!dir && status.dir) {
        dir = status.dir;
        void readMesh();
      }
    } catch (error) {
      if (!stopped) dispatch({ type: 'connection', ok: false, problem: (error as Error).message });
    }
  }

  // ---- the service graph, while the traffic pane shows it ----
  async function readGraph(): Promise<void> {
    const now = state();
    if (now.trafficView !== 'graph') return;
    const expand = now.expanded.map(encodeURIComponent).join(',');
    try {
      const graph = await apiGet<GraphReport>(now.api, `/graph?window=${options.graphWindowMs ?? 10_000}&expand=${expand}`);
      if (!stopped) dispatch({ type: 'graph', graph });
    } catch {
      // The poll says when the control plane does not answer.
    }
  }

  let lastEventId = 0;
  let batch: ControlEvent[] = [];
  function received(event: ControlEvent): void {
    lastEventId = event.id;
    batch.push(event);
    if (batch.length === 1) {
      setTimeout(() => {
        const events = batch;
        batch = [];
        if (!stopped) dispatch({ type: 'events', events });
      }, EVENT_BATCH_MS);
    }
    if (event.type === 'changed' || event.type === 'compiled' || event.type === 'invalid') void readMesh();
  }

  async function followEvents(): Promise<void> {
    while (!stopped) {
      try {
        await apiStream(state().api, '/events', ({ data }) => received(JSON.parse(data) as ControlEvent), {
          headers: lastEventId ? { 'last-event-id': String(lastEventId) } : {},
          signal: abort.signal,
        });
      } catch {
        // The control plane went away; the poll says so. Try again shortly.
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  // ---- the requests of the tap (the events pane after v) ----
  async function followTap(): Promise<void> {
    let batch: TapEntry[] = [];
    const flush = setInterval(() => {
      if (batch.length === 0 || stopped) return;
      dispatch({ type: 'requests', requests: batch });
      batch = [];
    }, EVENT_BATCH_MS);
    timers.push(flush);
    while (!stopped) {
      await apiStream(state().api, '/tap?recent=no', ({ event, data }) => {
        if (event === 'message') batch.push(JSON.parse(data) as TapEntry);
      }, { signal: abort.signal }).catch(() => undefined);
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  // ---- the workloads: processes or containers, and their logs ----
  async function readProcesses(): Promise<void> {
    if (!dir) return;
    const run = await runtimes.running(dir).catch(() => undefined);
    // One row per workload: a process, or a container (a version's app is S-v, a replica's S-v-rN).
    const workloads = run ? await run.runtime.workloads(run.state).catch(() => []) : [];
    const processes = workloads.map((w) => ({
      name: w.name,
      running: w.running,
      ...(w.restarts ? { restarts: w.restarts } : {}),
      ...(w.problem ? { problem: w.problem } : {}),
      ...(w.loop ? { loop: { action: w.loop.action, state: w.loop.state, ...(w.loop.servingMs !== undefined ? { servingMs: w.loop.servingMs } : {}) } } : {}),
    }));
    // No mesh (any more): `mesh down` ran; the process column says nothing.
    if (!stopped) dispatch({ type: 'processes', processes });
    const watching = run ? await run.runtime.codeWatch?.(run.state).catch(() => undefined) : undefined;
    if (!stopped && watching !== state().codeWatch && !switching) dispatch({ type: 'codeWatch', ...(watching === undefined ? {} : { on: watching }) });
    const canary = await readCanaryState(dir);
    if (!stopped && JSON.stringify(canary) !== JSON.stringify(state().canary)) dispatch({ type: 'canary', ...(canary ? { canary } : {}) });
  }

  /** A switch of `w` under way: the poll does not undo it meanwhile. */
  let switching = false;
  async function switchWatch(on: boolean): Promise<void> {
    if (!dir) return;
    switching = true;
    try {
      const run = await runtimes.running(dir);
      const done = run ? await run.runtime.setCodeWatch?.(run.state, on) : false;
      if (!done) say('This run cannot switch watching code (no inner loop runs: mesh up again).', true);
    } catch (error) {
      say(`Watching code could not be switched: ${(error as Error).message}`, true);
    } finally {
      switching = false;
    }
  }

  async function readLog(): Promise<void> {
    const service = selectedService(state());
    if (!dir || !service) return;
    const name = service.id;
    const lines = await runtimes.logTail(dir, name, LOG_LINES).catch(() => []);
    const now = state().logs;
    if (!stopped && (now.name !== name || now.lines.length !== lines.length || now.lines.at(-1) !== lines.at(-1))) {
      dispatch({ type: 'logs', name, lines });
    }
  }

  // ---- the commands ----
  /** Edits run one after another, each on the file as it is then. */
  let edits: Promise<void> = Promise.resolve();
  const queued = new Set<string>();
  function enqueue(key: string, edit: () => Promise<void>): void {
    if (queued.has(key)) return; // the queued edit will write the latest weights
    queued.add(key);
    edits = edits.then(async () => {
      queued.delete(key);
      await edit().catch((error: Error) => say(`The edit failed: ${error.message}`, true));
    });
  }

  function vsOf(route: RouteInfo) {
    const vs = model?.virtualServices.find((v) => v.name === route.vs && v.namespace === route.namespace && (v.from ? 'HTTPRoute' : undefined) === route.from);
    const http = vs?.spec.http?.[route.index];
    return vs && http ? { vs, http } : undefined;
  }

  async function write(file: string, text: string, summary: string): Promise<void> {
    const applied = await applyEdit(dir!, file, text);
    if ('diagnostics' in applied) {
      const first = applied.diagnostics.find((d) => d.severity === 'error');
      return say(`Not written: the edit would make the mesh invalid (${first ? formatDiagnostic(first).split('\n')[0] : 'unknown error'}).`, true);
    }
    say(summary);
    await readMesh();
  }

  /** Writes the route's pending weights (as `mesh weight` and the web view do); `because` (a rollback's message) stays the status line's first words. */
  function writeWeights(key: string, because?: string): void {
    enqueue(key, async () => {
      const route = state().mesh?.routes.find((r) => r.key === key);
      const weights = state().pending[key];
      const found = route && vsOf(route);
      if (!route || !weights || !found) return;
      const labels = route.destinations.map((d) => d.label);
      const result = await writeRouteWeights(dir!, { vs: found.vs, index: route.index, route: found.http, labels }, Object.fromEntries(labels.map((l, i) => [l, weights[i]!])));
      if ('error' in result) {
        const first = result.diagnostics?.find((d) => d.severity === 'error');
        const text = result.diagnostics
          ? `Not written: the edit would make the mesh invalid (${first ? formatDiagnostic(first).split('\n')[0] : 'unknown error'}).`
          : result.error.split('\n')[0]!;
        return dispatch({ type: 'writeFailed', key, text });
      }
      if (!result.written) return;
      say(because ? `${because}: ${result.summary}` : result.summary);
      await readMesh();
    });
  }

  function toggleFault(route: RouteInfo): void {
    enqueue(`fault ${route.key}`, async () => {
      const found = vsOf(route);
      if (!found) return;
      const text = await readFile(found.vs.source.file, 'utf8');
      const edit = setFault(text, { vs: found.vs, index: route.index }, nextFault(found.http.fault));
      if ('error' in edit) return say(formatDiagnostic(edit.error).split('\n')[0]!, true);
      await write(edit.file, edit.text, edit.summary);
    });
  }

  async function edit(route: RouteInfo): Promise<void> {
    const text = await readFile(route.file, 'utf8');
    const from = route.from ? vsOf(route)?.vs.from : undefined;
    const line = routePosition(text, { vs: { name: route.vs, source: { file: route.file, line: route.line, col: 1 }, ...(from ? { from } : {}) }, index: route.index })?.line ?? route.line;
    await options.openEditor(route.file, line);
    void readMesh();
  }

  async function gatewayUrl(): Promise<string | undefined> {
    const run = dir ? await runtimes.running(dir).catch(() => undefined) : undefined;
    if (run?.state.gateways[0]) return run.state.gateways[0];
    const gateway = model?.settings.gateway;
    const port = Object.values(gateway?.ports ?? {})[0];
    return port ? `http://${gateway?.address ?? '127.0.0.1'}:${port}/` : undefined;
  }

  async function toggleLoad(): Promise<void> {
    if (load) {
      const final = await load.stop();
      load = undefined;
      dispatch({ type: 'load', load: { running: false } });
      return say(`Traffic stopped: ${final.requests} requests, ${Object.entries(final.byVersion).map(([v, n]) => `${v} ${n}`).join(', ')}.`);
    }
    const url = await gatewayUrl();
    if (!url) return say('No gateway to send traffic to: the mesh publishes no gateway port here.', true);
    load = startLoad({ url, rps: state().load.rps });
    dispatch({ type: 'load', load: { running: true, url, requests: 0 } });
    say(`Sending ${state().load.rps} requests/s to ${url} (+/- to change, t to stop).`);
  }

  function loadStats(): void {
    if (!load) return;
    const r = load.result();
    dispatch({ type: 'load', load: { requests: r.requests, byVersion: r.byVersion, byStatus: r.byStatus } });
  }

  const unsubscribe = store.subscribe((action, before, after) => {
    const route = selectedRoute(before);
    switch (action.type) {
      case 'shift':
      case 'promote':
      case 'rollback':
        if (route && dir && (action.type === 'promote' || action.type === 'rollback') && steering(before, route)) {
          void sendCanaryCommand(dir, action.type === 'promote' ? 'promote' : 'abort');
        } else if (route && after.pending[route.key] !== before.pending[route.key]) {
          writeWeights(route.key, action.type === 'rollback' ? after.message?.text : undefined);
        }
        break;
      case 'canaryPause':
        if (dir && steering(before)) void sendCanaryCommand(dir, before.canary!.phase === 'paused' ? 'resume' : 'pause');
        break;
      case 'fault':
        if (route) toggleFault(route);
        break;
      case 'edit':
        if (route) void edit(route).catch((error: Error) => say(`The editor could not be opened: ${error.message}`, true));
        break;
      case 'toggleLoad':
        void toggleLoad();
        break;
      case 'toggleWatch':
        if (before.codeWatch !== undefined) void switchWatch(!before.codeWatch);
        break;
      case 'rate':
        load?.setRate(after.load.rps);
        break;
      case 'toggleGraph':
      case 'expand':
        void readGraph();
        break;
      case 'move':
      case 'focus':
        if (after.selected.services !== before.selected.services) void readLog();
        break;
    }
  });

  const every = (ms: number, fn: () => Promise<void> | void) => {
    timers.push(setInterval(() => void fn(), ms));
    return fn();
  };
  const ready = Promise.all([readMesh(), every(pollMs, poll), every(2 * pollMs, readProcesses)]).then(() => undefined);
  void every(pollMs, readLog);
  void every(500, loadStats);
  void every(pollMs, readGraph);
  void followEvents();
  void followTap();

  return {
    ready,
    stop() {
      stopped = true;
      unsubscribe();
      abort.abort();
      for (const t of timers) clearInterval(t);
      void load?.stop();
    },
  };
}
