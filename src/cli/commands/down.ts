import { downProcesses } from '../../runtime/process.ts';
import { EXIT } from '../output.ts';

export const help = `Usage: mesh down [DIR]

Stops everything mesh up started for the mesh in DIR (default: the current directory), as
recorded in DIR/.mesh/process/state.json: SIGTERM, then SIGKILL after 5 s. Removes the state;
the logs stay for mesh logs.

Options:
  -h, --help  show this help`;

export async function run(dir: string): Promise<number> {
  await downProcesses(dir, (line) => console.log(line));
  return EXIT.ok;
}
