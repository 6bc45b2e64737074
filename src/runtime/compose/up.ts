// The Compose runtime: `mesh up` (the default when a Docker engine answers), `mesh down` and
// `mesh logs` for a mesh run as a Compose stack. `mesh up` generates DIR/.mesh/compose.yaml,
// checks what would stop Compose (names taken, ports in use), pulls and builds the images the
// stack runs (images.ts), runs `compose up -d`, shows the engine's events as progress, and waits
// until every init container has installed its capture rules, every container runs (healthy
// where it has a healthcheck), every proxy is SYNCED and the gateway answers. On a stack of the
// same directory that is up already (whole or half-dead), it does the same as a reconcile, as
// `docker compose up -d` does: what is missing is created, what is dead started, what changed
// recreated. Then the healer (heal.ts) keeps it so.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../config/diagnostics.ts';
import { gatewayHostPorts, gatewayPortText, type MeshModel } from '../../config/model.ts';
import { CONTROL_PORTS, type Stack } from '../../compose/stack.ts';
import { projectName } from '../../compose/names.ts';
import { loadOrCreateRoot } from '../../control/ca-root.ts';
import { localCertificateNotes, prepareLocalCertificates } from '../../control/credentials.ts';
import type { UpOptions } from '../contract.ts';
import { alive, startSupervisor, stopSupervisor } from '../detached.ts';
import { onInterrupt, signalExitCode, signalName, type Interrupt } from '../interrupt.ts';
import { freePorts, portFree } from '../ports.ts';
import { waitUntil } from '../readiness.ts';
import { buildChanged, stackOf } from './generate.ts';
import { waitReady } from './ready.ts';
import { watchCompose } from './watch.ts';
import { composeFailure, composeFile, composeTarget, findCompose, runCompose, runComposeInteractive, type ComposeCli, type ComposeTarget } from './cli.ts';
import { dockerAnswers } from './docker.ts';
import { meshDirOf, type Engine } from './engine.ts';
import { followComposeMesh } from './follow.ts';
import { healStack } from './heal.ts';
import { ensureImages } from './images.ts';
import { versionFieldAt } from './mesh-source.ts';
import { meshStateDir, readComposeState, removeComposeState, writeComposeState, writeStack, type ComposeRunState } from './state.ts';

/** The CLI, for `mesh supervise`. */
const MESH_BIN = fileURLToPath(new URL('../../../bin/mesh.js', import.meta.url));

/**
 * The host port of the control plane's API: LOCALMESH_API_PORT (0: a free one), else 15080, or a
 * free one when that is taken.
 */
async function apiPort(env: Record<string, string | undefined>, say: (line: string) => void): Promise<number> {
  const wanted = env.LOCALMESH_API_PORT;
  if (wanted !== undefined && !/^\d+$/.test(wanted)) throw new Error(`LOCALMESH_API_PORT is a port number (0: any free one), not '${wanted}'.`);
  const port = wanted === undefined ? CONTROL_PORTS.api : Number(wanted);
  if (port !== 0 && (await portFree(port))) return port;
  const [free] = await freePorts(1);
  if (port !== 0) say(`The control plane's API port ${port} is in use on 127.0.0.1; publishing it on ${free}.`);
  return free!;
}

/**
 * Whether a stack of this mesh's name exists already: `mine` (from this directory: mesh up
 * reconciles it), or the sentence for one that runs from another directory (another mesh may
 * share the name); undefined when there is none.
 */
async function existing(engine: Engine, model: MeshModel, meshDir: string, project: string): Promise<'mine' | string | undefined> {
  const containers = await engine.stackContainers(project);
  if (containers.length === 0) return undefined;
  const from = containers.map(meshDirOf).find((d) => d !== undefined);
  if (from === undefined || from === resolve(meshDir)) return 'mine';
  if (!containers.some((c) => c.state === 'running')) return undefined;
  return (
    `A mesh of the same name (${model.name}, Compose project ${project}) runs from ${from}; ` +
    `run mesh down ${from} first, or give this mesh another metadata.name.`
  );
}

/** Everything else that would make `compose up` fail, as sentences. */
async function preflight(engine: Engine, model: MeshModel, dir: string, stack: Stack, apiHostPort: number, reconcile: boolean): Promise<string[]> {
  const problems = await engine.clashes(stack.project, resolve(dir));
  // A stack that is up publishes these ports itself.
  if (reconcile) return problems;
  const address = model.settings.gateway?.address ?? '127.0.0.1';
  for (const published of gatewayHostPorts(model)) {
    if (!(await portFree(published.hostPort, address))) {
      const { whose, remedy } = gatewayPortText(published);
      problems.push(`Port ${published.hostPort} (${whose}) is in use on ${address}; stop what listens there, or ${remedy}.`);
    }
  }
  if (!(await portFree(apiHostPort))) problems.push(`Port ${apiHostPort} (the control plane's API) is in use on 127.0.0.1.`);
  return problems;
}

/** The warnings of a stack for the user, as FILE:LINE:COL diagnostics: declared healthchecks it does not run. */
async function stackWarnings(model: MeshModel, stack: Stack): Promise<string[]> {
  const warnings: string[] = [];
  for (const { service, version } of stack.healthchecksNotRun) {
    const s = model.services.find((x) => x.name === service)!;
    warnings.push(
      formatDiagnostic({
        ...(await versionFieldAt(s, version, 'healthcheck')),
        severity: 'warning',
        message:
          `the healthcheck of ${service} ${version} is not run on the Compose runtime: its image is your own and may have no ` +
          'program to probe with; mesh up waits for its container to run instead (the process runtime runs the healthcheck)',
        hint: 'give the image a HEALTHCHECK (Dockerfile): Compose runs it, and mesh up waits until it is healthy',
      }),
    );
  }
  return warnings;
}

/**
 * `mesh up` on Compose: resolves once the stack is ready (detached) or once it was stopped
 * (foreground). Ctrl-C (or SIGTERM) before it is ready, with -d too, removes what was started.
 */
export async function upCompose(engine: Engine, model: MeshModel, meshDir: string, options: UpOptions): Promise<number> {
  const dir = resolve(meshDir);
  const env = options.env ?? process.env;
  const cli = await findCompose(env);
  // Up from elsewhere goes first: nothing else (such as the API port it would publish on) matters then.
  const found = await existing(engine, model, meshDir, projectName(model.name));
  if (found !== undefined && found !== 'mine') throw new Error(found);
  const interrupt = onInterrupt();
  try {
    return await startAndRun(engine, model, meshDir, dir, cli, env, options, interrupt, found === 'mine');
  } finally {
    interrupt.dispose();
  }
}

async function startAndRun(
  engine: Engine,
  model: MeshModel,
  meshDir: string,
  dir: string,
  cli: ComposeCli,
  env: Record<string, string | undefined>,
  options: UpOptions,
  interrupt: Interrupt,
  reconcile: boolean,
): Promise<number> {
  const { say } = options;
  const { signal } = interrupt;
  let stack: Stack | undefined;
  let started = false;
  let stopEvents = () => undefined as void;
  let target: ComposeTarget | undefined;
  const before = reconcile ? await readComposeState(dir) : undefined;
  let recorded: ComposeRunState | undefined;
  try {
    if (before?.supervisor && alive(before.supervisor)) await stopSupervisor(before.supervisor);
    // A stack that is up keeps its API port: another one would recreate the control plane.
    ({ stack, target } = await stackOf(model, dir, env, before ? Number(new URL(before.api).port) : await apiPort(env, say)));
    const problems = await preflight(engine, model, meshDir, stack, Number(new URL(stack.api).port), reconcile);
    if (problems.length) throw new Error(problems.join('\n  '));
    for (const warning of await stackWarnings(model, stack)) say(warning);
    interrupt.check();
    await ensureImages(engine, stack, { policy: options.pull ?? 'missing', say, env });
    interrupt.check();

    // The mesh CA's root, made here on the host: the control plane's container mounts the mesh
    // directory read-only, and reads it from DIR/.mesh/ca when a PeerAuthentication needs it.
    await loadOrCreateRoot(dir);
    // So are the gateways' local certificates, kept in DIR/.mesh/gateway-certs/ for the control plane to read.
    await prepareLocalCertificates(model, dir, () => loadOrCreateRoot(dir));
    await writeStack(dir, stack);
    const state: ComposeRunState = {
      runtime: 'docker',
      dir,
      project: stack.project,
      compose: cli.variant,
      startedAt: before?.startedAt ?? new Date().toISOString(),
      api: stack.api,
      gateways: stack.gateways,
      services: stack.services,
      proxyIds: stack.proxyIds,
      files: [...target.files],
      ...(options.watchCode || before?.watch ? { watch: true } : {}),
    };
    recorded = state;
    await writeComposeState(dir, state);
    say(
      reconcile
        ? `The Compose stack ${stack.project} exists: reconciling it (creating what is missing, starting what stopped, recreating what changed)`
        : `Starting the Compose stack ${stack.project} (${composeFile(meshDir)}${target.files.length > 1 ? ` with ${target.files.slice(1).join(', ')}` : ''}; ${cli.command.join(' ')} ${cli.version})`,
    );
    // A reconciled stack that fails to come up stays as it is: it ran before this mesh up.
    started = !reconcile;
    stopEvents = await engine.watchEvents(stack.project, say);
    await buildChanged(cli, target, stack, dir, say, signal);
    const composeUp = await runCompose(cli, target, ['up', '-d', '--remove-orphans'], signal);
    signal.throwIfAborted();
    if (composeUp.exitCode !== 0) throw new Error(composeFailure(String(composeUp.all ?? '')));
    say(`Waiting for ${stack.proxyIds.length} proxies to be SYNCED and the apps to be healthy`);
    await waitReady(engine, stack, options.timeoutMs ?? 90_000, signal);
    interrupt.check();
  } catch (error) {
    stopEvents();
    const by = interrupt.received();
    // A reconcile that failed leaves the stack as it was, healed as it was.
    if (before?.supervisor && !by) await startDetachedHealer(dir, new AbortController().signal).catch(() => undefined);
    if (started && stack) {
      say(by ? `${signalName(by)}: removing what mesh up started` : 'Removing what was started');
      await downStack(engine, cli, target ?? composeTarget(stack.project, dir), false);
      await removeComposeState(dir);
    }
    if (!by) throw error;
    const what = started && stack ? `removed what it had started (the Compose stack ${stack.project})` : 'nothing had been started yet';
    say(`Interrupted (${signalName(by)}) while starting: ${what}; nothing of the mesh in ${meshDir} runs.`);
    return signalExitCode(by);
  }
  stopEvents();
  for (const url of stack.gateways) say(`Gateway: ${url}`);
  localCertificateNotes(model, dir).forEach(say);
  say(`Control plane API: ${stack.api}`);
  if (options.detach) {
    await startDetachedHealer(dir, signal);
    say(`Running in the background (status: mesh status ${meshDir}; logs: mesh logs ${meshDir}; stop: mesh down ${meshDir}).`);
    return 0;
  }
  const healing = new AbortController();
  const restarting = new Set<string>();
  const following = await followComposeMesh(engine, dir, recorded!, { say, env });
  void healStack(engine, stack.project, following.roles, { say, signal: healing.signal, onPurpose: restarting });
  // Always, for versions with a watch: section: off without --watch, until the dashboard's w.
  const code = recorded ? await watchCompose(engine, meshDir, recorded, say, restarting, options.watchCode === true) : undefined;
  if (options.watch) {
    const stopped = new Promise((done) => (signal.aborted ? done(undefined) : signal.addEventListener('abort', done, { once: true })));
    await Promise.race([options.watch().catch((error: Error) => say(`The dashboard stopped: ${error.message}`)), stopped]);
  } else {
    say('Following the logs; Ctrl-C stops the mesh.');
    await runComposeInteractive(cli, target!, ['logs', '-f', '--tail', '0'], signal);
  }
  healing.abort();
  await following.close();
  await code?.close();
  say('Stopping');
  await downStack(engine, cli, target!, false);
  await removeComposeState(dir);
  say('Stopped.');
  return 0;
}

/** Starts `mesh supervise DIR` (the healer of a detached run) and waits until it recorded itself in docker.json. */
async function startDetachedHealer(dir: string, signal: AbortSignal): Promise<void> {
  const log = `${meshStateDir(dir)}/mesh-supervisor.log`;
  const exited = startSupervisor([process.execPath, MESH_BIN], dir, log);
  await waitUntil('the healer (mesh supervise)', async () => (await readComposeState(dir))?.supervisor !== undefined, { timeoutMs: 15_000, exited, signal });
}

/** `compose down`, then whatever it left (a file edited by hand, an orphan) removed through the engine. */
async function downStack(engine: Engine, cli: ComposeCli | undefined, target: ComposeTarget, volumes: boolean): Promise<string[]> {
  if (cli) await runCompose(cli, target, ['down', '--remove-orphans', '-t', '2', ...(volumes ? ['-v'] : [])]);
  return engine.removeStack(target.project);
}

/**
 * Stops and removes every container and network of the stack of DIR; false when there is none.
 * Without DIR/.mesh/docker.json (removed by hand, or a mesh up killed), the stack is found by the
 * directory its containers were started from. Lines for the user.
 */
export async function downCompose(engine: Engine, meshDir: string, options: { volumes: boolean; say(line: string): void }): Promise<boolean> {
  const state = await readComposeState(meshDir);
  // The healer first, so that nothing is started again while the stack goes.
  if (state?.supervisor && alive(state.supervisor)) await stopSupervisor(state.supervisor);
  const project = state?.project ?? ((await dockerAnswers()) ? await engine.projectFrom(resolve(meshDir)) : undefined);
  if (!project) return false;
  const cli = await findCompose({ ...(state ? { LOCALMESH_COMPOSE: state.compose } : {}), ...process.env }).catch(() => findCompose().catch(() => undefined));
  options.say(`Removing the Compose stack ${project}`);
  const target = state?.files ? { project, dir: resolve(meshDir), files: state.files } : composeTarget(project, meshDir);
  const left = await downStack(engine, cli, target, options.volumes);
  if (left.length) options.say(`Removed what Compose left: ${left.join(', ')}.`);
  await removeComposeState(meshDir);
  options.say('Stopped.');
  return true;
}

/** `mesh logs [NAME] [-f]` for the stack: Compose's logs of NAME's services (a service, or one Compose service). */
export async function composeLogs(meshDir: string, state: ComposeRunState, filter: string | undefined, follow: boolean): Promise<number> {
  const all = Object.values(state.services).flat();
  const services = filter === undefined ? [] : all.filter((s) => s === filter || s.startsWith(`${filter}-`));
  if (filter !== undefined && services.length === 0) {
    throw new Error(`No service ${filter} in the stack ${state.project}; its services: ${all.join(', ')}.`);
  }
  const cli = await findCompose({ LOCALMESH_COMPOSE: state.compose, ...process.env });
  const target = state.files ? { project: state.project, dir: resolve(meshDir), files: state.files } : composeTarget(state.project, meshDir);
  const result = await runComposeInteractive(cli, target, ['logs', ...(follow ? ['-f'] : []), ...services]);
  return result.exitCode ?? 1;
}
