import { stat } from 'node:fs/promises';
import { startControlPlane } from '../../control/plane.ts';
import { eventLines } from '../../control/event-lines.ts';
import { EXIT, UsageError } from '../output.ts';
import { webRoutes } from '../../web/routes.ts';
import { createToken } from '../../web/token.ts';

export const help = `Usage: mesh control [DIR] [--xds-port 15010] [--api-port 15080] [--bind 127.0.0.1]
                    [--poll] [--addressing compose|FILE]

Runs the control plane: watches the mesh in DIR, and on every change validates, compiles and
pushes the new configuration to the Envoy proxies over xDS (ADS, gRPC). An invalid edit is never
pushed: the last good configuration keeps serving and the error is printed as FILE:LINE:COL.
Prints one line per event (the same step of many proxies in one line); the HTTP API (/status, /proxies, /events, /traffic) serves the CLI
(mesh proxy-status, mesh proxy-config), the TUI and the web view (/ui/, mesh ui). Stops on Ctrl-C.

Options:
  --dir DIR          the mesh directory, as DIR first (default: the current directory)
  --xds-port PORT    port of the xDS server (default 15010; 0 picks a free one)
  --api-port PORT    port of the HTTP API (default 15080; 0 picks a free one)
  --bind ADDRESS     address both listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --poll             poll the files instead of waiting for events (mounts that deliver none)
  --addressing MODE  compose (default): proxies as in the Compose stack; or FILE, a JSON port map
                     {"listenAddress": "127.0.0.1", "ports": {"outbound reviews-v1": 20001, …}}
                     written by the process runtime
  -h, --help         show this help`;

export interface ControlOptions {
  xdsPort: string;
  apiPort: string;
  bind: string;
  poll: boolean;
  addressing: string;
}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`${flag} needs a port number (0 to 65535), got '${value}'.`);
  return n;
}

export async function run(dir: string, options: ControlOptions): Promise<number> {
  const xdsPort = port(options.xdsPort, '--xds-port');
  const apiPort = port(options.apiPort, '--api-port');
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) {
    throw new UsageError(`${dir} is not a directory; DIR names the directory of the mesh YAML files.`);
  }
  // The web view's write token (mesh ui reads it); without it the web view only shows.
  const token = await createToken(dir).catch((error: Error) => void console.error(error.message));
  let plane;
  try {
    plane = await startControlPlane({
      dir,
      xdsPort,
      apiPort,
      bind: options.bind,
      poll: options.poll,
      addressing: options.addressing,
      routes: webRoutes({ dir, token: token ?? undefined }),
      warn: (message) => console.error(message),
    });
  } catch (error) {
    console.error(`mesh control: ${(error as Error).message}`);
    return EXIT.invalid;
  }
  const lines = eventLines((line) => console.log(line));
  for (const event of plane.events.recent()) lines.add(event);
  plane.events.subscribe((event) => lines.add(event));
  console.log(
    `Control plane for ${dir}: xDS on ${options.bind}:${plane.xdsPort}, API on http://${options.bind}:${plane.apiPort}` +
      ` (addressing ${options.addressing}${options.poll ? ', polling' : ''}). Ctrl-C stops it.`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await plane.close();
  lines.flush();
  console.log(`Control plane stopped (${signal}).`);
  return EXIT.ok;
}
