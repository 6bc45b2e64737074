// The process runtime's `mesh up` and `mesh down` for a mesh on this machine,
// without Docker. The control plane, one Envoy per service version plus the gateway, and each
// version's app run as child processes on 127.0.0.1; DIR/.mesh/process/state.json records them.
import { resolve } from 'node:path';
import type { MeshModel } from '../../config/model.ts';
import type { UpOptions } from '../contract.ts';
import { onInterrupt, signalExitCode, signalName, type Interrupt } from '../interrupt.ts';
import { fileTail } from '../log-tail.ts';
import { httpOk, tcpOpen, unsynced, waitUntil } from '../readiness.ts';
import { findEnvoy } from './envoy-binary.ts';
import { watchProcesses, watchSummary } from './watch.ts';
import { planPorts } from './port-map.ts';
import { appReady, startError } from './app-ready.ts';
import { missingCommands, type planProcesses } from './plan.ts';
import { followMesh } from './follow.ts';
import { MESH_BIN, planner } from './planner.ts';
import { prepareStateDir, readState, removeState, statePaths, writeSpecs, writeState, type ProcessRunState } from './state.ts';
import {
  alive, identity, start, startSupervisor, stillRunning, stopAll, stopSupervisor, Supervisor, type ProcessSpec, type Started,
} from './supervise.ts';



/** The processes of an earlier run that still run; none (and its state removed) when it is over. */
async function earlierRun(dir: string): Promise<ProcessRunState | undefined> {
  const state = await readState(dir);
  if (!state) return undefined;
  if (stillRunning(state.processes).length > 0 || (state.supervisor && alive(state.supervisor))) return state;
  await removeState(dir);
  return undefined;
}

/**
 * Starts the mesh; resolves once it is up (detached) or once it was stopped (foreground). Returns
 * the exit code. Ctrl-C (or SIGTERM) before it is up, with -d too, stops what was started.
 */
export async function upProcesses(model: MeshModel, meshDir: string, options: UpOptions): Promise<number> {
  const dir = resolve(meshDir);
  const { say } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const running = await earlierRun(dir);
  if (running) return reconcile(running, meshDir, dir, options, timeoutMs);
  const missing = missingCommands(model);
  if (missing) throw new Error(`${meshDir}: ${missing}.`);
  const envoy = findEnvoy();
  const interrupt = onInterrupt();
  try {
    return await startAndRun(model, meshDir, dir, envoy, { ...options, timeoutMs }, interrupt);
  } finally {
    interrupt.dispose();
  }
}

async function startAndRun(
  model: MeshModel,
  meshDir: string,
  dir: string,
  envoy: string,
  options: UpOptions & { timeoutMs: number },
  interrupt: Interrupt,
): Promise<number> {
  const { say, timeoutMs, detach } = options;
  const { signal } = interrupt;
  const started: Started[] = [];
  let plan: ReturnType<typeof planProcesses> | undefined;
  let recorded: ProcessRunState | undefined;
  try {
    const ports = await planPorts(model);
    ports.notes.forEach(say);
    plan = planner(dir, { poll: options.poll === true, envoy })(model, ports);
    plan.notes.forEach(say);
    await prepareStateDir(dir, ports.portMap, plan.bootstraps);
    const api = `http://127.0.0.1:${ports.control.apiPort}`;
    const state: ProcessRunState = {
      runtime: 'process',
      dir,
      startedAt: new Date().toISOString(),
      api,
      gateways: plan.gateways,
      detached: detach,
      ...(detach ? {} : { up: identity(process.pid) }),
      ...(options.watchCode ? { watch: true } : {}),
      control: ports.control,
      processes: [],
    };
    recorded = state;
    const launch = async (specs: ProcessSpec[]): Promise<Started[]> => {
      interrupt.check();
      const now = specs.map(start);
      started.push(...now);
      state.processes = started.map((s) => s.record);
      await writeState(dir, state);
      return now;
    };
    const control = plan.control;
    say(`Starting the control plane (xDS 127.0.0.1:${ports.control.xdsPort}, API ${api})`);
    const [controlStarted] = await launch([control]);
    await waitUntil('the control plane', () => httpOk(`${api}/status`), { timeoutMs, exited: controlStarted!.exited, signal }).catch(async (e) => {
      throw signal.aborted ? e : await startError((e as Error).message, control.log);
    });

    say(`Starting ${plan.proxies.length} Envoy proxies (${plan.proxies.map((p) => p.name).join(', ')})`);
    const proxies = await launch(plan.proxies);
    say(`Starting ${plan.apps.length} apps (${plan.apps.map((a) => a.name).join(', ')})`);
    const apps = await launch(plan.apps);

    say(`Waiting for ${plan.proxyIds.length} proxies to be SYNCED`);
    let behind: string[] = [];
    const proxyIds = plan.proxyIds;
    const anyProxyExit = Promise.race(proxies.map((p) => p.exited.then((how) => `${p.record.name} ${how} (log: ${p.record.log})`)));
    await waitUntil('the proxies', async () => (behind = await unsynced(api, proxyIds)).length === 0, {
      timeoutMs,
      exited: anyProxyExit,
      signal,
      still: () => `not SYNCED: ${behind.join(', ')}`,
    }).catch(async (e) => {
      throw signal.aborted ? e : await startError((e as Error).message, control.log);
    });

    say(`Waiting for ${plan.apps.length} apps to answer`);
    const appSpecs = plan.apps;
    await Promise.all(appSpecs.map((app, i) => appReady(app, apps[i]!, timeoutMs, signal)));
    interrupt.check();
    await writeSpecs(dir, [control, ...plan.proxies, ...plan.apps]);
    if (detach) await startDetachedSupervisor(dir, timeoutMs, signal);
  } catch (error) {
    const by = interrupt.received();
    say(by ? `${signalName(by)}: stopping what mesh up started` : 'Stopping what was started');
    await stopAll(started.map((s) => s.record));
    await removeState(dir);
    if (!by) throw error;
    const what = started.length === 0 ? 'nothing had been started yet' : `stopped what it had started (${started.length} process${started.length === 1 ? '' : 'es'})`;
    say(`Interrupted (${signalName(by)}) while starting: ${what}; nothing of the mesh in ${meshDir} runs.`);
    return signalExitCode(by);
  }

  for (const url of plan.gateways) say(`Gateway: ${url}`);
  if (detach) {
    if (options.watchCode) watchSummary(model, meshDir).forEach(say);
    say(`Running in the background (logs: mesh logs ${meshDir}; stop: mesh down ${meshDir}).`);
    return 0;
  }
  if (!options.watch) say('Press Ctrl-C to stop.');
  // In the foreground `mesh up` restarts what crashes itself (the dashboard, when shown, tells).
  const supervisor = new Supervisor([plan.control, ...plan.proxies, ...plan.apps], started.map((s) => s.record), {
    meshDir,
    say: options.watch ? () => undefined : say,
    changed: (records) => writeState(dir, { ...recorded!, processes: records }),
  }, started).start();
  const quiet = options.watch ? () => undefined : say;
  // Always, for versions with a watch: section: off without --watch, until the dashboard's w.
  const code = await watchProcesses(meshDir, dir, supervisor, quiet, options.watchCode === true, options.poll);
  const following = await followMesh({ dir, state: recorded!, supervisor, plan: planner(dir, { poll: options.poll === true, envoy }), say: quiet, poll: options.poll === true });
  let stopping = false;
  await new Promise<void>((done) => {
    // The children are unref'd (so a detached run can exit): this keeps `mesh up` alive meanwhile.
    const alive = setInterval(() => undefined, 60_000);
    const stop = () => {
      if (stopping) return;
      stopping = true;
      clearInterval(alive);
      done();
    };
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    void options.watch?.().catch((error: Error) => say(`The dashboard stopped: ${error.message}`)).finally(stop);
  });
  say('Stopping');
  await code?.close();
  await following.close();
  await supervisor.stop();
  await stopAll(supervisor.current());
  await removeState(dir);
  say('Stopped.');
  return 0;
}

/**
 * `mesh up` on a mesh of DIR that is up, as `docker compose up -d` on a running stack: a detached
 * run gets a fresh supervisor (the one before stopped, or found gone), which starts again what is
 * dead, including processes given up after repeated crashes. A foreground `mesh up` elsewhere owns
 * its run: that is a sentence.
 */
async function reconcile(running: ProcessRunState, meshDir: string, dir: string, options: UpOptions, timeoutMs: number): Promise<number> {
  if (!running.detached && running.up && alive(running.up)) {
    throw new Error(`The mesh in ${meshDir} runs in the foreground of another mesh up (pid ${running.up.pid}, started ${running.startedAt}); stop that one first.`);
  }
  const { say } = options;
  const dead = running.processes.length - stillRunning(running.processes).length;
  say(`The mesh in ${meshDir} is up (started ${running.startedAt}): reconciling it (${dead} of ${running.processes.length} processes to start again)`);
  if (running.supervisor && alive(running.supervisor)) await stopSupervisor(running.supervisor);
  const { supervisor: _gone, ...rest } = (await readState(dir)) ?? running;
  const watch = options.watchCode || rest.watch ? { watch: true } : {};
  await writeState(dir, { ...rest, ...watch, processes: rest.processes.map(({ gaveUp: _given, ...record }) => record) });
  const interrupt = onInterrupt();
  try {
    await startDetachedSupervisor(dir, timeoutMs, interrupt.signal);
    await waitUntil('every process of the mesh', async () => {
      const state = await readState(dir);
      return state !== undefined && stillRunning(state.processes).length === state.processes.length;
    }, { timeoutMs, signal: interrupt.signal });
  } finally {
    interrupt.dispose();
  }
  for (const url of running.gateways) say(`Gateway: ${url}`);
  say(`Running in the background (status: mesh status ${meshDir}; stop: mesh down ${meshDir}).`);
  return 0;
}

/** Starts `mesh supervise DIR` for a detached run and waits until it recorded itself in state.json. */
async function startDetachedSupervisor(dir: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const log = statePaths(dir).log('mesh-supervisor');
  const exited = startSupervisor([process.execPath, MESH_BIN], dir, log);
  await waitUntil('the supervisor', async () => (await readState(dir))?.supervisor !== undefined, { timeoutMs, exited, signal }).catch(async (e) => {
    throw signal.aborted ? e : await startError((e as Error).message, log);
  });
}

/** Stops everything `mesh up` recorded for DIR and removes its state; false when nothing was recorded. Lines for the user. */
export async function downProcesses(meshDir: string, say: (line: string) => void, graceMs = 5000): Promise<boolean> {
  let state = await readState(meshDir);
  if (!state) return false;
  if (state.supervisor && alive(state.supervisor)) {
    // First, so that nothing is restarted meanwhile; then the processes as it last recorded them.
    await stopSupervisor(state.supervisor, graceMs);
    state = (await readState(meshDir)) ?? state;
  }
  if (state.up && alive(state.up)) {
    // A `mesh up` in the foreground elsewhere: it stops its children itself on SIGTERM.
    process.kill(state.up.pid, 'SIGTERM');
  }
  const live = stillRunning(state.processes);
  say(`Stopping ${live.length} processes`);
  const killed = await stopAll(state.processes, graceMs);
  if (killed.length) say(`${killed.join(', ')} did not stop within ${graceMs / 1000} s and were killed.`);
  await removeState(meshDir);
  say('Stopped.');
  return true;
}
