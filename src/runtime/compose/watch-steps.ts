// What `mesh up --watch` asks Compose to do for a change of a version's code, as Compose's own
// `develop.watch` does for a service: Compose argument lists, one step each. Pure.
//   restart       restart the app's containers (a Node app without image or build has its folder
//                 mounted: the restarted app runs the new code);
//   sync          copy each changed file into the running containers, under `target`; for a
//                 mounted Node app nothing is copied: the container sees the host folder;
//   rebuild       build the image again and recreate the app's containers (that service only);
//   sync+restart  sync, then restart.
import { posix, relative, sep } from 'node:path';
import type { VersionModel } from '../../config/model.ts';
import { instances } from '../../compose/names.ts';
import type { WatchRule } from '../watch-rules.ts';

export interface WatchSteps {
  /** Compose arguments, run in order. */
  steps: string[][];
  /** A line for the user where the action does less than its name says. */
  note?: string;
}

/** The Compose app services of a version (one per replica). */
export const appServices = (version: VersionModel) => instances(version.proxy, version.replicas).map((i) => i.app);

/** Whether the version runs as the Node image with its folder mounted from the host (neither image nor build). */
export const mountsItsFolder = (version: VersionModel) => !version.spec.image && version.spec.build === undefined;

/** Where a changed file goes in the container: `target` for the watched path, the rest below it. */
function destination(rule: WatchRule, file: string): string | undefined {
  for (const root of rule.paths) {
    const rel = relative(root, file);
    if (rel.startsWith('..')) continue;
    return rel === '' ? rule.target : posix.join(rule.target!, ...rel.split(sep));
  }
  return undefined;
}

/** The steps for a change of `files` (absolute) under `rule`; an Error with a sentence when the rule cannot be done. */
export function watchSteps(rule: WatchRule, version: VersionModel, files: readonly string[]): WatchSteps {
  const apps = appServices(version);
  const mounted = mountsItsFolder(version);
  const restart = ['restart', ...apps];
  if (rule.action === 'rebuild') {
    if (version.spec.build === undefined) {
      throw new Error(`${rule.proxy} has no build: to rebuild; use action: restart${mounted ? ' (its folder is mounted)' : ''}, or give it a build: context`);
    }
    return { steps: [['build', ...apps], ['up', '-d', '--no-deps', ...apps]] };
  }
  if (rule.action === 'restart') return { steps: [restart] };
  // sync, sync+restart
  if (mounted) {
    const note = `${rule.proxy} runs with its folder mounted from the host: nothing to copy`;
    return rule.action === 'sync' ? { steps: [], note: `${note}; the app sees the change itself (sync+restart restarts it)` } : { steps: [restart], note };
  }
  if (!rule.target) throw new Error(`${rule.proxy}: action ${rule.action} copies files into the container and needs target: (the folder there), as Compose's develop.watch does`);
  const copies = files.flatMap((file) => {
    const to = destination(rule, file);
    return to === undefined ? [] : apps.map((app) => ['cp', file, `${app}:${to}`]);
  });
  return { steps: rule.action === 'sync' ? copies : [...copies, restart] };
}
