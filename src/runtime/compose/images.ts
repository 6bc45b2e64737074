// What `mesh up` does before Compose starts the stack: the official images it runs are pulled
// when missing (or always, or never: --pull as Compose's), with a line per image and per layer
// and the bytes so far every two seconds; localmesh's own images (localmesh/init) are built
// from their Dockerfile when missing, their base image pulled first by the same rule, the build's
// steps shown. Compose itself then finds every image there (the apps' own builds aside).
import { readFileSync } from 'node:fs';
import type { OwnImage } from '../../compose/images.ts';
import { credentialsFor } from './credentials.ts';
import type { Engine, ProgressEvent } from './engine.ts';

export const PULL_POLICIES = ['missing', 'always', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

const mb = (bytes: number) => (bytes < 1e5 ? `${(bytes / 1e3).toFixed(0)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);

/** The progress of one pull as lines: one per layer done, and the totals at most every `everyMs`. */
export function pullProgress(image: string, say: (line: string) => void, now = Date.now, everyMs = 2000): (event: ProgressEvent) => void {
  const layers = new Map<string, { current: number; total: number; done: boolean }>();
  let last = now();
  const totals = () => {
    const all = [...layers.values()];
    const done = all.filter((l) => l.done).length;
    const current = all.reduce((n, l) => n + (l.done ? l.total : l.current), 0);
    const total = all.reduce((n, l) => n + l.total, 0);
    return `${done}/${all.length} layers${total ? `, ${mb(current)} of ${mb(total)}` : ''}`;
  };
  return (event) => {
    const { status = '', id } = event;
    if (!id || /^Pulling from|^Digest|^Status/.test(status) || id === image.split(':').pop()) return;
    const layer = layers.get(id) ?? { current: 0, total: 0, done: false };
    layers.set(id, layer);
    if (status === 'Downloading' && event.progressDetail?.total) {
      layer.current = event.progressDetail.current ?? 0;
      layer.total = event.progressDetail.total;
    }
    if ((status === 'Pull complete' || status === 'Already exists') && !layer.done) {
      layer.done = true;
      layer.current = layer.total;
      say(`  ${image}: layer ${id} ${status === 'Already exists' ? 'already here' : `done${layer.total ? ` (${mb(layer.total)})` : ''}`}; ${totals()}`);
      return;
    }
    if (now() - last >= everyMs) {
      last = now();
      say(`  ${image}: ${totals()}`);
    }
  };
}

/** A pull's failure as a sentence with what to do. */
export function pullFailure(image: string, message: string): string {
  const why = message.replace(/\s+/g, ' ').trim();
  if (/unauthorized|denied|authentication required/i.test(why)) {
    return `Pulling ${image} was refused (${why}): docker login, or docker pull ${image} with your own credentials, then mesh up again.`;
  }
  if (/not found|manifest unknown/i.test(why)) {
    return `The image ${image} does not exist in its registry (${why}): check the name and tag (settings.images in the Mesh, or LOCALMESH_*_IMAGE).`;
  }
  return `Pulling ${image} failed (${why}): is the registry reachable (docker pull ${image})? Or pull it by hand and run mesh up --pull never.`;
}

/** The base image a Dockerfile builds FROM (its first FROM without ARG substitutions). */
export function baseOf(dockerfile: string): string | undefined {
  return /^FROM\s+(\S+)/im.exec(dockerfile)?.[1];
}

export interface EnsureOptions {
  policy: PullPolicy;
  say(line: string): void;
  env?: Record<string, string | undefined>;
}

async function ensurePulled(engine: Engine, image: string, options: EnsureOptions): Promise<void> {
  const have = (await engine.missingImages([image])).length === 0;
  if (options.policy === 'never' || (options.policy === 'missing' && have)) {
    if (!have) throw new Error(`The image ${image} is not on this machine and --pull never forbids pulling it: docker pull ${image}, or mesh up without --pull never.`);
    return;
  }
  const started = Date.now();
  options.say(`Pulling ${image}${have ? ' (--pull always)' : ''}`);
  try {
    const index = await engine.indexServer();
    await engine.pull(image, await credentialsFor(image, index, options.env), pullProgress(image, options.say));
  } catch (error) {
    throw new Error(pullFailure(image, (error as Error).message));
  }
  const size = await engine.imageSize(image);
  options.say(`  ${image}: pulled${size ? ` (${mb(size)})` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function ensureBuilt(engine: Engine, image: OwnImage, options: EnsureOptions): Promise<void> {
  const dockerfile = readFileSync(new URL(image.dockerfile, image.context), 'utf8');
  const base = baseOf(dockerfile);
  if (base) await ensurePulled(engine, base, options);
  if ((await engine.missingImages([image.tag])).length === 0) return;
  const started = Date.now();
  options.say(`Building ${image.tag} (localmesh's own image, from templates/docker/${image.dockerfile}${base ? ` on ${base}` : ''})`);
  const output: string[] = [];
  try {
    await engine.build(image, { 'dev.localmesh.image': image.tag.split(':')[0]! }, (event) => {
      for (const line of (event.stream ?? '').split('\n')) {
        if (!line.trim()) continue;
        output.push(line);
        if (/^Step \d+\/\d+ :/.test(line)) options.say(`  ${line.length > 110 ? `${line.slice(0, 107)}...` : line}`);
      }
    });
  } catch (error) {
    const tail = output.slice(-12).map((l) => `    ${l}`).join('\n');
    throw new Error(`Building ${image.tag} failed: ${(error as Error).message.trim()}\n${tail}`);
  }
  const size = await engine.imageSize(image.tag);
  options.say(`  ${image.tag}: built${size ? ` (${mb(size)})` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Every image the stack runs on the engine: pulled or built as `policy` says. */
export async function ensureImages(engine: Engine, stack: { images: string[]; own: OwnImage[] }, options: EnsureOptions): Promise<void> {
  for (const image of stack.images) await ensurePulled(engine, image, options);
  for (const image of stack.own) await ensureBuilt(engine, image, options);
}

/** What `mesh up` would pull or build, for `mesh doctor`: sentences. */
export async function imagePlan(engine: Engine, stack: { images: string[]; own: OwnImage[] }): Promise<{ present: string[]; pull: string[]; build: string[] }> {
  const present: string[] = [];
  const pull: string[] = [];
  const build: string[] = [];
  for (const image of stack.images) ((await engine.missingImages([image])).length ? pull : present).push(image);
  for (const own of stack.own) {
    const base = baseOf(readFileSync(new URL(own.dockerfile, own.context), 'utf8'));
    if (base && (await engine.missingImages([base])).length && !pull.includes(base)) pull.push(base);
    ((await engine.missingImages([own.tag])).length ? build : present).push(own.tag);
  }
  return { present, pull, build };
}
