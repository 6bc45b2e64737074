import { basename } from 'node:path';
import { logFiles, showLogs } from '../../runtime/logs.ts';
import { composeLogs } from '../../runtime/compose.ts';
import { readComposeState } from '../../runtime/compose-state.ts';
import { noMeshRuns } from '../../runtime/running.ts';
import { statePaths } from '../../runtime/state.ts';
import { EXIT, UsageError } from '../output.ts';

export const help = `Usage: mesh logs [DIR] [NAME] [-f]

Shows the logs of the mesh run by mesh up in DIR (the first argument or --dir DIR; default: the
current directory): every
process's or container's, or those of NAME, a service (its apps and Envoy sidecars) or one of
them (reviews-v1, reviews-v1-proxy, mesh-gateway, mesh-control). Lines are prefixed with the
name when there are several. The Compose runtime shows Compose's logs of the stack; the process
runtime's logs (DIR/.mesh/process/logs) stay after mesh down.

Options:
  -f, --follow  keep printing new lines until Ctrl-C
  --dir DIR     the mesh directory, as DIR first
  -h, --help    show this help`;

export async function run(dir: string, args: readonly string[], options: { follow: boolean }): Promise<number> {
  if (args.length > 1) throw new UsageError(`mesh logs takes one NAME after DIR, got ${args.join(' ')}.`);
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
      const logsDir = statePaths(dir).logs;
      const names = (await logFiles(dir)).map((f) => basename(f, '.log'));
      if (names.length > 0) console.error(`mesh logs: no logs for ${filter} in ${logsDir}; NAME is a service or one of ${names.join(', ')}.`);
      else {
        const what = `no mesh runs in ${dir}, and no logs of an earlier run are in ${logsDir}`;
        console.error(`mesh logs: ${await noMeshRuns(dir, (d) => `mesh logs ${d}${filter ? ` ${filter}` : ''}`, what)}.`);
      }
      return EXIT.invalid;
    }
    return EXIT.ok;
  } finally {
    process.off('SIGINT', stop);
  }
}
