import { loadMesh } from '../../config/index.ts';
import { hasErrors } from '../../config/diagnostics.ts';
import type { Runtimes } from '../../runtime/contract.ts';
import * as dashboard from './dashboard.ts';
import { EXIT, printDiagnostics, summary, UsageError } from '../output.ts';

export const help = `Usage: mesh up [DIR] [--runtime process|docker] [-d] [--watch] [--poll] [--pull missing|always|never]

Validates the mesh in DIR (the first argument or --dir DIR; default: the current directory) and
runs it: the control plane, an Envoy beside every service version, the ingress gateway and the
apps, then prints the gateway URL. Edits to the mesh files reach the proxies while it runs.

Runtimes:
  process  everything as processes on 127.0.0.1: each version's command is its app, started
           in DIR with PORT and HTTP_PROXY (its sidecar) set. Needs Envoy, not Docker.
           State, port map, Envoy bootstraps and logs are in DIR/.mesh/process/.
  docker   the Compose stack: DIR/.mesh/compose.yaml (run it by hand with
           docker compose -p NAME -f .mesh/compose.yaml up), an Envoy sidecar container
           beside each app container with transparent capture, the control plane and the
           gateway in containers. Pulls the official images it runs (envoyproxy/envoy,
           node) when missing, and builds localmesh/init (iptables on the official Debian
           image) from templates/docker/ on first use, with progress; the control plane is
           the node image running this installation's code, mounted read-only. Pods heal:
           restart policies and a healer bring back a stopped proxy, app or control plane.
           On a stack that is up already (or half-dead), mesh up reconciles it. LOCALMESH_COMPOSE=v1|v2 picks docker-compose or docker compose; the control
           plane's API is published on 127.0.0.1:15080 (LOCALMESH_API_PORT: another, 0 any).
Without --runtime: docker when a Docker engine answers, else process.

A version's command on the docker runtime:
  image: or build:  command is Compose's: it replaces the image's CMD and keeps its
                    ENTRYPOINT; it runs in the image's WORKDIR. A string is split into words
                    (no shell), a list is taken as is; without command, the image's CMD runs.
                    A build: context is built again by mesh up when its files, Dockerfile or
                    args changed since the last build (hashes in DIR/.mesh/builds.json).
                    A healthcheck: is not run (the image may have nothing to probe with): mesh
                    up warns at FILE:LINE and waits for the container to run, or for the
                    image's own HEALTHCHECK to pass.
  neither           a Node.js app: the node image with DIR's folder (or the ancestor its
                    command reaches, ../app/server.mjs) mounted read-only and laid out as on
                    the host; command runs in DIR's place there; healthcheck: is run by node.
On the process runtime, command is the app itself: a list is run as is, a string by sh, in DIR.

Options:
  --runtime NAME  process or docker
  -d, --detach    leave it running in the background (stop it with mesh down)
  --pull POLICY   images: pull those missing (default), always, or never (as Compose's --pull)
  --watch         a change under a version's watch: paths restarts, syncs or rebuilds that
                  version only (Compose's develop.watch actions); the other versions keep
                  serving, and so does the old one until the new one answers its healthcheck.
                  process: the new app starts beside the old one on a new port and takes
                  requests once healthy, the old one stops when its requests are done
                  (sync is a restart there: the app runs from its folder). docker: restart
                  restarts the container, sync copies into it, rebuild builds its image and
                  replaces it.
  --poll          the control plane polls the mesh files every 100 ms instead of waiting for
                  file events (for folders that deliver none; the docker runtime always polls
                  its read-only mount)
  --dir DIR       the mesh directory, as DIR (one or the other)
  -h, --help      show this help

In the foreground, Ctrl-C stops everything it started; in a terminal, the dashboard opens
(mesh dashboard --help) and quitting it with q stops the mesh too. Until the mesh is up (with
-d too, until mesh up -d returns), Ctrl-C stops what it had started, says so and exits 130.`;

const PULL = ['missing', 'always', 'never'] as const;

export async function run(dir: string, options: { runtime?: string; detach: boolean; poll?: boolean; pull?: string; watch?: boolean }, runtimes: Runtimes): Promise<number> {
  const pull = PULL.find((p) => p === options.pull);
  if (options.pull !== undefined && !pull) throw new UsageError(`--pull is missing, always or never, not ${options.pull}.`);
  const say = (line: string) => console.log(line);
  const named = options.runtime === undefined ? undefined : runtimes.named(options.runtime);
  if (options.runtime !== undefined && !named) {
    const names = runtimes.names();
    throw new UsageError(`--runtime is ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' or ' : ''}${names.at(-1)}, not ${options.runtime}.`);
  }
  let runtime = named;
  if (runtime) {
    const detected = await runtime.detect();
    if (!detected.ok) {
      console.error(`mesh up: ${detected.problem}`);
      return EXIT.invalid;
    }
  } else {
    const detected = await runtimes.detect();
    runtime = detected.runtime;
    say(detected.why);
  }
  say(`Validating ${dir}`);
  const { model, diagnostics } = await loadMesh(dir);
  printDiagnostics(diagnostics);
  if (!model || hasErrors(diagnostics)) {
    console.error(`${dir}: invalid (${summary(diagnostics)}); nothing started.`);
    return EXIT.invalid;
  }
  // In a terminal, the foreground shows the dashboard; quitting it (q) stops the mesh it started.
  const watch = process.stdout.isTTY && process.stdin.isTTY ? () => dashboard.run(dir, {}, runtimes).then(() => undefined) : undefined;
  const up = {
    detach: options.detach, poll: options.poll === true, say,
    ...(pull ? { pull } : {}), ...(watch ? { watch } : {}), ...(options.watch ? { watchCode: true } : {}),
  };
  try {
    return await runtime.up(model, dir, up);
  } catch (error) {
    // Envoy missing, a port taken, a process that would not start: sentences for the user.
    console.error(`mesh up: ${(error as Error).message}`);
    if (process.env.MESH_DEBUG) console.error(error);
    return EXIT.invalid;
  }
}
