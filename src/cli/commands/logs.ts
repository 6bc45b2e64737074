import { showLogs } from '../../runtime/logs.ts';
import { composeLogs } from '../../runtime/compose.ts';
import { readComposeState } from '../../runtime/compose-state.ts';
import { EXIT } from '../output.ts';

export const help = `Usage: mesh logs [NAME] [-f] [--dir DIR]

Shows the logs of the mesh run by mesh up in DIR (default: the current directory): every
process's or container's, or those of NAME, a service (its apps and Envoy sidecars) or one of
them (reviews-v1, reviews-v1-proxy, mesh-gateway, mesh-control). Lines are prefixed with the
name when there are several. The Compose runtime shows Compose's logs of the stack.

Options:
  -f, --follow  keep printing new lines until Ctrl-C
  --dir DIR     the mesh directory
  -h, --help    show this help`;

export async function run(dir: string, args: readonly string[], options: { follow: boolean }): Promise<number> {
  const [filter] = args;
  const compose = await readComposeState(dir);
  if (compose) {
    try {
      return await composeLogs(dir, compose, filter, options.follow);
    } catch (error) {
      console.error(`mesh logs: ${(error as Error).message}`);
      return EXIT.invalid;
    }
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    const shown = await showLogs(dir, {
      ...(filter ? { filter } : {}),
      follow: options.follow,
      write: (text) => process.stdout.write(text),
      signal: abort.signal,
    });
    if (shown === 0) {
      console.error(filter ? `No logs for ${filter} in ${dir}/.mesh/process/logs.` : `No logs in ${dir}/.mesh/process/logs; has mesh up run there?`);
      return EXIT.invalid;
    }
    return EXIT.ok;
  } finally {
    process.off('SIGINT', stop);
  }
}
