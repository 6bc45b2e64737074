import type { Runtimes } from '../../runtime/contract.ts';
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

export async function run(dir: string, args: readonly string[], options: { follow: boolean }, runtimes: Runtimes): Promise<number> {
  if (args.length > 1) throw new UsageError(`mesh logs takes one NAME after DIR, got ${args.join(' ')}.`);
  const [filter] = args;
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    // The runtime that runs DIR first, then any that kept logs of an earlier run.
    for (const runtime of runtimes.runningFirst(await runtimes.running(dir))) {
      const code = await runtime.logs(dir, {
        ...(filter ? { filter } : {}),
        follow: options.follow,
        write: (text) => process.stdout.write(text),
        signal: abort.signal,
      });
      if (code !== undefined) return code;
    }
    const kept = runtimes.all.flatMap((r) => r.keptLogs?.(dir) ?? []);
    const what = `no mesh runs in ${dir}${kept.length ? `, and no logs of an earlier run are in ${kept.join(' or ')}` : ''}`;
    console.error(`mesh logs: ${await runtimes.noMeshRuns(dir, (d) => `mesh logs ${d}${filter ? ` ${filter}` : ''}`, what)}.`);
    return EXIT.invalid;
  } catch (error) {
    console.error(`mesh logs: ${(error as Error).message}`);
    return EXIT.invalid;
  } finally {
    process.off('SIGINT', stop);
  }
}
