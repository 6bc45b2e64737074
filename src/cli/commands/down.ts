import { downCompose } from '../../runtime/compose.ts';
import { downProcesses } from '../../runtime/process.ts';
import { EXIT } from '../output.ts';

export const help = `Usage: mesh down [DIR] [-v]

Stops everything mesh up started for the mesh in DIR (default: the current directory).
Compose runtime (DIR/.mesh/docker.json): removes every container and network of the stack;
DIR/.mesh/compose.yaml stays. Process runtime (DIR/.mesh/process/state.json): SIGTERM, then
SIGKILL after 5 s; the logs stay for mesh logs.

Options:
  -v, --volumes  also remove the stack's volumes (Compose runtime)
  -h, --help     show this help`;

export async function run(dir: string, options: { volumes: boolean } = { volumes: false }): Promise<number> {
  const say = (line: string) => console.log(line);
  try {
    if (await downCompose(dir, { volumes: options.volumes, say })) return EXIT.ok;
  } catch (error) {
    console.error(`mesh down: ${(error as Error).message}`);
    return EXIT.invalid;
  }
  await downProcesses(dir, say);
  return EXIT.ok;
}
