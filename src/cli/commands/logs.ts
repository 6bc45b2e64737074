import { showLogs } from '../../runtime/logs.ts';
import { EXIT } from '../output.ts';

export const help = `Usage: mesh logs [NAME] [-f] [--dir DIR]

Shows the logs of the mesh run by mesh up --runtime process in DIR (default: the current
directory): every process's, or those of NAME, a service (its apps and Envoy sidecars) or one
process (reviews-v1, reviews-v1-proxy, mesh-gateway, mesh-control). Lines are prefixed with the
process name when there are several.

Options:
  -f, --follow  keep printing new lines until Ctrl-C
  --dir DIR     the mesh directory
  -h, --help    show this help`;

export async function run(dir: string, args: readonly string[], options: { follow: boolean }): Promise<number> {
  const [filter] = args;
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
