// The Compose runtime: `mesh up` (the default when a Docker engine answers), `mesh down` and
// `mesh logs` for a mesh run as a Compose stack. `mesh up` generates DIR/.mesh/compose.yaml,
// checks what would stop Compose (names taken, ports in use), pulls and builds the images the
// stack runs (images.ts), runs `compose up -d`, shows the engine's events as progress, and waits
// until every init container has installed its capture rules, every container runs (healthy
// where it has a healthcheck), every proxy is SYNCED and the gateway answers. On a stack of the
// same directory that is up already (whole or half-dead), it does the same as a reconcile, as
// `docker compose up -d` does: what is missing is created, what is dead started, what changed
// recreated. Then the healer (heal.ts) keeps it so.
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../config/diagnostics.ts';
import { gatewayHostPorts, type MeshModel } from '../../config/model.ts';
import { GATEWAY_PROXY } from '../../config/names.ts';
import { generateStack, CONTROL_PORTS, type Stack } from '../../compose/stack.ts';
import { loadOrCreateRoot } from '../../control/ca-root.ts';
import { localCertificateNotes } from '../../control/credentials.ts';
import { resolveImages } from '../../compose/images.ts';
import { projectName } from '../../compose/names.ts';
import { adsBootstrap } from '../../xds/bootstrap.ts';
import type { UpOptions } from '../contract.ts';
import { alive, startSupervisor, stopSupervisor } from '../detached.ts';
import { onInterrupt, signalExitCode, signalName, type Interrupt } from '../interrupt.ts';
import { freePorts, portFree } from '../ports.ts';
import { httpOk, NeverReady, unsynced, waitUntil } from '../readiness.ts';
import { recordBuilds, recordedBuilds, staleBuilds } from './build-context.ts';
import { watchCompose } from './watch.ts';
import { composeFailure, composeFile, composeTarget, findCompose, runCompose, runComposeInteractive, type ComposeCli, type ComposeTarget } from './cli.ts';
import { dockerAnswers } from './docker.ts';
import { meshDirOf, type Engine, type StackContainer } from './engine.ts';
import { healStack } from './heal.ts';
import { ensureImages } from './images.ts';
import { userComposeFiles } from './user-files.ts';
import { versionFieldAt } from './mesh-source.ts';
import { meshStateDir, readComposeState, removeComposeState, writeComposeState, writeStack, type ComposeRunState } from './state.ts';

/** The localmesh installation, mounted into the control plane; and the CLI, for `mesh supervise`. */
const CODE_DIR = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
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
  for (const { proxy, serverPort, hostPort } of gatewayHostPorts(model)) {
    if (!(await portFree(hostPort, address))) {
      problems.push(
        `Port ${hostPort} (${proxy === GATEWAY_PROXY ? 'the gateway' : proxy}'s port ${serverPort}) is in use on ${address}; stop what listens there, ` +
          `or publish the gateway elsewhere with settings.gateway.ports: { "${serverPort}": OTHER } in the Mesh.`,
      );
    }
  }
  if (!(await portFree(apiHostPort))) problems.push(`Port ${apiHostPort} (the control plane's API) is in use on 127.0.0.1.`);
  return problems;
}

/** Why the stack cannot become ready (a container that failed), or undefined. */
async function failed(engine: Engine, containers: StackContainer[], stack: Stack): Promise<string | undefined> {
  const init = new Set(stack.services.init);
  for (const c of containers) {
    if (init.has(c.service) && c.state === 'exited' && c.exitCode !== 0) {
      const log = await engine.logTail(c.id);
      const denied = /permission denied|operation not permitted|can't initialize iptables/i.test(log);
      return denied
        ? `${c.service} could not install the capture rules: the engine does not grant NET_ADMIN (rootless Docker or a restricted runtime?). ` +
            `Use --runtime process, or a Docker engine that allows cap_add: NET_ADMIN.\n${log}`
        : `${c.service} (the capture rules) exited with ${c.exitCode}:\n${log}`;
    }
    if (!init.has(c.service) && (c.state === 'exited' || c.state === 'dead')) {
      return `${c.service} exited with ${c.exitCode ?? '?'}:\n${await engine.logTail(c.id)}`;
    }
    if (c.health === 'unhealthy') return `${c.service} is unhealthy (its healthcheck fails):\n${await engine.logTail(c.id)}`;
  }
  return undefined;
}

/** What is not ready yet, one phrase each; empty when the stack is ready. */
async function pending(containers: StackContainer[], stack: Stack): Promise<string[]> {
  const byService = new Map(containers.map((c) => [c.service, c]));
  const init = new Set(stack.services.init);
  const waiting: string[] = [];
  for (const service of Object.values(stack.services).flat()) {
    const c = byService.get(service);
    if (!c) waiting.push(`${service} (no container)`);
    else if (init.has(service) ? c.state !== 'exited' : c.state !== 'running') waiting.push(`${service} (${c.state})`);
    else if (c.health && c.health !== 'healthy') waiting.push(`${service} (health ${c.health})`);
  }
  if (waiting.length) return waiting;
  if (!(await httpOk(`${stack.api}/status`).catch(() => false))) return [`the control plane's API ${stack.api}`];
  const behind = await unsynced(stack.api, stack.proxyIds).catch((e: Error) => [`proxy status (${e.message})`]);
  if (behind.length) return behind.map((p) => `proxy ${p}`);
  // Plain HTTP ports answer a request; TLS ones would need the client to trust their certificate.
  for (const url of stack.gateways.filter((u) => u.startsWith('http://'))) {
    const answers = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' }).then(
      async (r) => (await r.body?.cancel(), true),
      () => false,
    );
    if (!answers) return [`the gateway ${url}`];
  }
  return [];
}

async function waitReady(engine: Engine, stack: Stack, timeoutMs: number, signal: AbortSignal): Promise<void> {
  let waiting: string[] = [];
  const ready = async () => {
    const containers = await engine.stackContainers(stack.project);
    const failure = await failed(engine, containers, stack);
    if (failure) throw new NeverReady(failure);
    waiting = await pending(containers, stack);
    return waiting.length === 0;
  };
  await waitUntil('The stack', ready, { timeoutMs, signal, intervalMs: 250, still: () => `still waiting for: ${waiting.join(', ')}.` });
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

/** Builds what Compose would not: `build:` versions whose context changed since mesh up last built them. */
async function buildChanged(cli: ComposeCli, target: ComposeTarget, stack: Stack, dir: string, say: (line: string) => void, signal: AbortSignal): Promise<void> {
  const stale = await staleBuilds(dir, stack.builds);
  if (stale.length === 0) return;
  for (const b of stale) {
    say(`Building ${b.service} (${b.reason === 'first' ? 'build context' : 'its build context changed since the last build:'} ${b.context})`);
  }
  const build = await runCompose(cli, target, ['build', ...stale.map((b) => b.service)], signal);
  signal.throwIfAborted();
  if (build.exitCode !== 0) throw new Error(composeFailure(String(build.all ?? '')));
  await recordBuilds(dir, { ...(await recordedBuilds(dir)), ...Object.fromEntries(stale.map((b) => [b.service, b.hash])) });
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
    const userFiles = await userComposeFiles(dir, model.settings);
    stack = generateStack({
      model,
      meshDir: dir,
      images: resolveImages(model.settings, env),
      // A stack that is up keeps its API port: another one would recreate the control plane.
      apiPort: before ? Number(new URL(before.api).port) : await apiPort(env, say),
      codeDir: CODE_DIR,
      userFiles: userFiles.map((f) => relative(dir, f)),
      bootstrap: adsBootstrap,
    });
    target = composeTarget(stack.project, dir, userFiles);
    const problems = await preflight(engine, model, meshDir, stack, Number(new URL(stack.api).port), reconcile);
    if (problems.length) throw new Error(problems.join('\n  '));
    for (const warning of await stackWarnings(model, stack)) say(warning);
    interrupt.check();
    await ensureImages(engine, stack, { policy: options.pull ?? 'missing', say, env });
    interrupt.check();

    await writeStack(dir, stack);
    // The control plane reads the mesh directory read-only: the root that signs local gateway certificates is made here.
    if (localCertificateNotes(model, dir).length > 0) await loadOrCreateRoot(dir);
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
  void healStack(engine, stack.project, stack.services, { say, signal: healing.signal, onPurpose: restarting });
  const code = options.watchCode && recorded ? await watchCompose(engine, meshDir, recorded, say, restarting) : undefined;
  if (options.watch) {
    const stopped = new Promise((done) => (signal.aborted ? done(undefined) : signal.addEventListener('abort', done, { once: true })));
    await Promise.race([options.watch().catch((error: Error) => say(`The dashboard stopped: ${error.message}`)), stopped]);
  } else {
    say('Following the logs; Ctrl-C stops the mesh.');
    await runComposeInteractive(cli, target!, ['logs', '-f', '--tail', '0'], signal);
  }
  healing.abort();
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
