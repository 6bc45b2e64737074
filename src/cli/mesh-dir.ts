// Which directory a command works on, the same way for every command: DIR as the first argument
// or --dir DIR (default: the current directory); and what to say when that directory holds no
// mesh, or several meshes in folders of their own (a checkout with examples and fixtures).
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readMeshDir } from '../config/load.ts';
import { MESH_API_VERSION } from '../config/schema/mesh.ts';
import { UsageError } from './output.ts';

const isDirectory = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);

/**
 * Whether a command's first argument names its mesh directory rather than an argument of its
 * own (a service, a proxy, a URL): an existing directory written as a path (`examples/canary`,
 * `.`), or one that holds YAML files or the `.mesh` folder mesh up leaves. A plain name such as
 * a service's build context (`reviews/`, without YAML) stays an argument.
 */
async function namesMeshDir(arg: string): Promise<boolean> {
  if (arg.includes('://') || !(await isDirectory(arg))) return false;
  if (arg.includes('/') || arg === '.' || arg === '..') return true;
  const entries = await readdir(arg).catch(() => [] as string[]);
  return entries.some((e) => e === '.mesh' || /\.ya?ml$/.test(e));
}

export interface MeshArgs {
  dir: string;
  /** The command's own arguments, after DIR. */
  args: string[];
}

/**
 * DIR and the command's own arguments from its positionals and --dir. `ownArgs`: the command
 * takes arguments of its own (`mesh logs [DIR] [NAME]`), so DIR is recognised by `namesMeshDir`.
 */
export async function meshArgs(command: string, flag: string | undefined, positionals: readonly string[], ownArgs: boolean): Promise<MeshArgs> {
  if (flag === '') throw new UsageError(`--dir needs a directory, e.g. mesh ${command} --dir examples/canary.`);
  let positional: string | undefined;
  let args = [...positionals];
  if (!ownArgs) {
    if (positionals.length > 1) {
      throw new UsageError(`mesh ${command} takes one directory, got ${positionals.length}: ${positionals.join(' ')}.`);
    }
    positional = positionals[0];
    args = [];
  } else if (flag === undefined && positionals[0] !== undefined) {
    const first = positionals[0];
    if (await namesMeshDir(first)) {
      positional = first;
      args = positionals.slice(1);
    } else if (first.includes('/') && !first.includes('://')) {
      throw new UsageError(`${first} is not a directory; mesh ${command} takes the mesh directory first.`);
    }
  }
  if (flag !== undefined && positional !== undefined && resolve(flag) !== resolve(positional)) {
    throw new UsageError(`Two directories given, ${positional} and --dir ${flag}; name the mesh once.`);
  }
  const dir = flag ?? positional ?? '.';
  if (!(await isDirectory(dir))) {
    throw new NotADirectory(`${dir} is not a directory; DIR names the folder of a mesh's YAML files, e.g. mesh ${command} examples/canary.`);
  }
  return { dir, args };
}

/** DIR does not exist: a mistake in the input rather than in the call (exit 1, as mesh validate documents). */
export class NotADirectory extends Error {}

/** A Mesh document's `kind` line, as written in block style (the usual way). */
const MESH_KIND = /^kind:\s*["']?Mesh["']?\s*(#.*)?$/m;

/** A Kubernetes Service's `kind` line, also as an item of a `kind: List`: it declares a service too. */
const SERVICE_KIND = /^[ -]*kind:\s*["']?Service["']?\s*(#.*)?$/m;

const EXAMPLE = `apiVersion: ${MESH_API_VERSION}
kind: Mesh
metadata: { name: dev }
spec:
  services:
    web:
      ports: [{ port: 8080 }]
      versions:
        v1: { command: [node, server.js] }   # or image: / build: on Docker`;

/**
 * Why DIR is not one mesh, for the commands that read one (up, generate, weight): no Mesh
 * document at all, or Mesh documents in several folders; undefined when it is (or may be) one.
 */
export async function notOneMesh(command: string, dir: string): Promise<string | undefined> {
  const files = await readMeshDir(dir);
  const folders = [...new Set(files.filter((f) => MESH_KIND.test(f.text)).map((f) => dirname(f.path)))].sort();
  if (folders.length > 1) {
    const shown = folders.slice(0, 6).join(', ') + (folders.length > 6 ? `, and ${folders.length - 6} more` : '');
    return (
      `${dir} is not one mesh: ${folders.length} folders in it hold a Mesh document each (${shown}). ` +
      `Name one of them: mesh ${command} ${folders[0]}`
    );
  }
  if (folders.length === 1 || files.some((f) => SERVICE_KIND.test(f.text))) return undefined;
  const what = files.length === 0 ? 'it has no YAML files' : `none of its ${files.length} YAML files is a Mesh document (kind: Mesh)`;
  return (
    `There is no mesh in ${dir}: ${what}; a mesh directory holds one Mesh, which declares the services (or Kubernetes Services and the Deployments they select).\n` +
    `  To start, run an example (in the localmesh checkout: mesh up examples/canary), or write ${join(dir, 'mesh.yaml')} such as:\n\n` +
    EXAMPLE.split('\n').map((l) => `    ${l}`).join('\n')
  );
}
