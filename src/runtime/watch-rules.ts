// Which version a changed file belongs to under `mesh up --watch`, and what to do with it: the
// `watch:` sections of the Mesh's versions as rules, matched against paths. Pure.
// As in Compose's `develop.watch`, `ignore` globs are relative to the watched path (and here also
// to the mesh directory); `.git`, `.mesh` (the run's own logs and state) and editors' dot-files
// are never a change.
import { isAbsolute, matchesGlob, relative, resolve, sep } from 'node:path';
import type { MeshModel } from '../config/model.ts';
import type { WatchAction } from '../config/schema/mesh.ts';

export interface WatchRule {
  service: string;
  version: string;
  /** The version's proxy id (`SERVICE-VERSION`): the app's process or Compose service name. */
  proxy: string;
  action: WatchAction;
  /** Absolute paths watched. */
  paths: string[];
  /** Globs as written. */
  ignore: string[];
  /** Compose sync: where the first path goes in the container. */
  target?: string;
  /** The mesh directory, absolute (ignore globs are also relative to it). */
  dir: string;
}

/** The rules of every version with a `watch:` section, in model order. */
export function watchRules(model: MeshModel, meshDir: string): WatchRule[] {
  const dir = resolve(meshDir);
  return model.services.flatMap((service) =>
    service.versions.flatMap((version) => {
      const watch = version.spec.watch;
      if (!watch) return [];
      return [{
        service: service.name,
        version: version.name,
        proxy: version.proxy,
        action: watch.action,
        paths: watch.paths.map((p) => resolve(dir, p)),
        ignore: watch.ignore ?? [],
        ...(watch.target ? { target: watch.target } : {}),
        dir,
      }];
    }),
  );
}

const within = (root: string, path: string): string | undefined => {
  const rel = relative(root, path);
  if (rel === '') return '';
  return rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
};

/** Dot-files and dot-folders (`.git`, `.mesh`, editors' swap files) below the watched path. */
const hidden = (rel: string) => rel.split(sep).some((part) => part.startsWith('.') && part !== '..');

/** `rel` is what `glob` names, or inside it. */
const under = (glob: string, rel: string) => rel !== '' && (matchesGlob(rel, glob) || matchesGlob(rel, `${glob}/**`));

/** Whether a change of `path` (absolute) is one for this rule. */
export function matches(rule: WatchRule, path: string): boolean {
  for (const root of rule.paths) {
    const rel = within(root, path);
    if (rel === undefined) continue;
    if (hidden(rel) || rel.split(sep).includes('node_modules')) return false;
    const fromDir = within(rule.dir, path);
    const ignored = rule.ignore.some((glob) => under(glob, rel) || under(`**/${glob}`, rel) || (fromDir !== undefined && under(glob, fromDir)));
    return !ignored;
  }
  return false;
}

/** The rules a change of `path` fires. */
export const rulesFor = (rules: readonly WatchRule[], path: string): WatchRule[] => rules.filter((rule) => matches(rule, path));
