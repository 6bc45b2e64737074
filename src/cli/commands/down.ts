import type { Runtimes } from '../../runtime/contract.ts';
import { EXIT } from '../output.ts';

export const help = `Usage: mesh down [DIR] [-v]

Stops everything mesh up started for the mesh in DIR (default: the current directory).
Compose runtime (DIR/.mesh/docker.json): removes every container and network of the stack;
DIR/.mesh/compose.yaml stays. Process runtime (DIR/.mesh/process/state.json): SIGTERM, then
SIGKILL after 5 s; the logs stay for mesh logs. When nothing runs, says so and exits 0.

Options:
  -v, --volumes  also remove the stack's volumes (Compose runtime)
  --dir DIR      the mesh directory, as DIR (one or the other)
  -h, --help     show this help`;

export async function run(dir: string, options: { volumes: boolean }, runtimes: Runtimes): Promise<number> {
  const say = (line: string) => console.log(line);
  try {
    // Each runtime looks for what it runs for DIR (Compose: by the stack's containers too).
    for (const runtime of runtimes.all) if (await runtime.down(dir, { volumes: options.volumes, say })) return EXIT.ok;
  } catch (error) {
    console.error(`mesh down: ${(error as Error).message}`);
    return EXIT.invalid;
  }
  console.log(`Nothing runs for ${dir}: no mesh that mesh up started there is running (nothing to stop).`);
  return EXIT.ok;
}
