// Finds the Node the process runtime puts first on the apps' PATH: the project's own Node 24
// (node_modules/node/bin, from the npm registry's `node` package), else the Node running `mesh`
// when it is 24 or later. Older Nodes ignore NODE_USE_ENV_PROXY, so their calls by service name
// would not go through the sidecar (getaddrinfo ENOTFOUND).
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_NODE = fileURLToPath(new URL('../../../node_modules/node/', import.meta.url));
/** The first Node that honours NODE_USE_ENV_PROXY. */
export const PROXY_NODE_MAJOR = 24;

const major = (version: string): number => Number(version.replace(/^v/, '').split('.')[0]);

/** The project's Node's major version (its npm package's version is Node's), or undefined without it. */
function projectNodeMajor(): number | undefined {
  try {
    accessSync(join(PROJECT_NODE, 'bin', 'node'), constants.X_OK);
    return major((JSON.parse(readFileSync(join(PROJECT_NODE, 'package.json'), 'utf8')) as { version: string }).version);
  } catch {
    return undefined;
  }
}

/** The directory of a Node ≥ 24 and its major version, or undefined when there is none. */
export function appNode(): { dir: string; major: number } | undefined {
  const project = projectNodeMajor();
  if (project !== undefined && project >= PROXY_NODE_MAJOR) return { dir: join(PROJECT_NODE, 'bin'), major: project };
  const running = major(process.version);
  return running >= PROXY_NODE_MAJOR ? { dir: dirname(process.execPath), major: running } : undefined;
}
