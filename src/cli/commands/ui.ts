import { spawn } from 'node:child_process';
import { apiGet, ApiError } from '../../control/client.ts';
import { readToken } from '../../web/token.ts';
import { EXIT } from '../output.ts';

export const help = `Usage: mesh ui [DIR] [--no-open] [--api URL]

Opens the web view of the mesh running in DIR (default: the current directory) in your browser:
the routes with their weight bars and sliders, live traffic per subset, the requests the proxies
serve (the tap) and the services. The control plane serves it on 127.0.0.1, nothing is fetched
from elsewhere. Moving a slider writes the weights into the YAML file as the dashboard does.

The URL carries this run's token (kept in DIR/.mesh/ui-token, readable by you only): every write
needs it, so no other web page can change your mesh. Keep the URL to yourself.

Options:
  --no-open    print the URL only
  --api URL    the control plane's API (default: the one mesh up recorded in DIR)
  -h, --help   show this help`;

/** The web view's URL with the token, as Jupyter's (the page keeps it and drops it from the address bar). */
export function uiUrl(api: string, token: string | undefined): string {
  const url = new URL('/ui/', api);
  if (token) url.searchParams.set('token', token);
  return url.href;
}

export async function run(dir: string, options: { api: string; open: boolean }): Promise<number> {
  try {
    await apiGet(options.api, '/status');
  } catch (error) {
    if (error instanceof ApiError) {
      console.error(`mesh ui: ${error.message}`);
      return EXIT.invalid;
    }
    throw error;
  }
  const token = await readToken(dir);
  const url = uiUrl(options.api, token);
  console.log(`The web view: ${url}`);
  if (!token) console.log(`No token in ${dir}/.mesh/ui-token: the page shows the mesh but cannot change it.`);
  if (options.open) openBrowser(url);
  return EXIT.ok;
}

/** Starts the platform's opener on `url`, detached; a line, not a failure, when there is none. */
function openBrowser(url: string): void {
  const [command, ...args] = process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '""', url] : ['xdg-open', url];
  try {
    const child = spawn(command!, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => console.log(`Open it in your browser (${command} is not here).`));
    child.unref();
  } catch {
    console.log(`Open it in your browser (${command} could not be started).`);
  }
}
