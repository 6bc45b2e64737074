// Which `build:` versions `mesh up` must build again: the content hash of each build context
// (every file Docker would send, .dockerignore applied; the Dockerfile; the build args) compared
// with the hash recorded in DIR/.mesh/builds.json at the last build. Compose builds an image only
// when it is missing, so without this an edited app would keep running its old image.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { BuiltService } from '../../compose/stack.ts';
import { writeJson } from '../json-file.ts';
import { meshStateDir } from './state.ts';

/** A .dockerignore pattern as a test of a path relative to the context (`/`-separated). */
export function ignoreTest(pattern: string): (path: string) => boolean {
  const glob = pattern.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
  let regex = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (glob.startsWith('**/', i)) {
      regex += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      regex += '.*';
      i += 1;
    } else if (c === '*') regex += '[^/]*';
    else if (c === '?') regex += '[^/]';
    else regex += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A pattern matches a path and everything below it (`node_modules` excludes the folder).
  const re = new RegExp(`^${regex}(?:/.*)?$`);
  return (path) => re.test(path);
}

/** Whether `.dockerignore` excludes a path: the last matching line decides (`!` re-includes). */
function ignoring(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => (l.startsWith('!') ? { include: true, test: ignoreTest(l.slice(1)) } : { include: false, test: ignoreTest(l) }));
  return (path) => {
    let ignored = false;
    for (const rule of rules) if (rule.test(path)) ignored = !rule.include;
    return ignored;
  };
}

async function files(root: string, dir: string, ignored: (path: string) => boolean, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const rel = relative(root, path).split(sep).join('/');
    if (ignored(rel)) continue;
    if (entry.isDirectory()) await files(root, path, ignored, out);
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(rel);
  }
}

/** The hash of what a build of `build` (context relative to `meshDir`) would use. */
export async function buildHash(meshDir: string, build: Omit<BuiltService, 'service'>): Promise<string> {
  const context = resolve(meshDir, build.context);
  const ignore = await readFile(join(context, '.dockerignore'), 'utf8').catch(() => '');
  const list: string[] = [];
  await files(context, context, ignoring(ignore), list);
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ dockerfile: build.dockerfile ?? 'Dockerfile', args: build.args ?? {} }));
  for (const rel of list.sort()) {
    hash.update(`\0${rel}\0`);
    hash.update(await readFile(join(context, rel)).catch(() => Buffer.from('(unreadable)')));
  }
  // A Dockerfile outside the context is part of the build too.
  const dockerfile = resolve(context, build.dockerfile ?? 'Dockerfile');
  if (!dockerfile.startsWith(context + sep)) hash.update(await readFile(dockerfile).catch(() => Buffer.from('(none)')));
  return hash.digest('hex').slice(0, 16);
}

const recordPath = (dir: string) => join(meshStateDir(dir), 'builds.json');

export async function recordedBuilds(dir: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(recordPath(dir), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

export const recordBuilds = (dir: string, hashes: Record<string, string>) => writeJson(recordPath(dir), hashes);

export interface StaleBuild extends BuiltService {
  hash: string;
  /** Why it is built: never built by mesh up, or its context changed. */
  reason: 'first' | 'changed';
}

/** The builds whose context hash differs from the one recorded at their last build. */
export async function staleBuilds(dir: string, builds: readonly BuiltService[]): Promise<StaleBuild[]> {
  const recorded = await recordedBuilds(dir);
  const stale: StaleBuild[] = [];
  for (const build of builds) {
    const hash = await buildHash(dir, build);
    const before = recorded[build.service];
    if (before !== hash) stale.push({ ...build, hash, reason: before === undefined ? 'first' : 'changed' });
  }
  return stale;
}
