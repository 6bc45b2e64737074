// The images a stack runs: settings.images in the Mesh, else LOCALMESH_<NAME>_IMAGE in the
// environment, else the defaults of templates/docker/images.json. envoy and node are official
// images (pulled when missing); init is localmesh's own, built from templates/docker/ by
// `mesh up`, its tag the hash of what it is built from, so an edit builds it again.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Settings } from '../config/schema/mesh.ts';

export const IMAGE_ROLES = ['envoy', 'node', 'init'] as const;
export type ImageRole = (typeof IMAGE_ROLES)[number];
export type Images = Record<ImageRole, string>;

export const IMAGES_FILE = new URL('../../templates/docker/images.json', import.meta.url);
/** The build context of localmesh/init, and the files in it. */
export const INIT_CONTEXT = new URL('../../templates/docker/', import.meta.url);
export const INIT_DOCKERFILE = 'init.Dockerfile';
export const INIT_FILES = [INIT_DOCKERFILE, 'capture.sh'] as const;

/** What `mesh up` builds (when missing) rather than pulls: the tag, and where from. */
export interface OwnImage {
  tag: string;
  /** The context folder (a file: URL) and the files sent from it. */
  context: URL;
  files: readonly string[];
  dockerfile: string;
}

/** localmesh/init:HASH, the hash of its Dockerfile and capture script. */
export function initImage(repository: string): OwnImage {
  const hash = createHash('sha256');
  for (const file of INIT_FILES) hash.update(`\0${file}\0`).update(readFileSync(new URL(file, INIT_CONTEXT)));
  return { tag: `${repository}:${hash.digest('hex').slice(0, 12)}`, context: INIT_CONTEXT, files: INIT_FILES, dockerfile: INIT_DOCKERFILE };
}

export function defaultImages(): Images {
  const listed = JSON.parse(readFileSync(IMAGES_FILE, 'utf8')) as Images;
  return { ...listed, init: initImage(listed.init).tag };
}

export function resolveImages(settings: Settings, env: Record<string, string | undefined>, defaults: Images = defaultImages()): Images {
  const pick = (role: ImageRole) => settings.images?.[role] ?? env[`LOCALMESH_${role.toUpperCase()}_IMAGE`] ?? defaults[role];
  return Object.fromEntries(IMAGE_ROLES.map((role) => [role, pick(role)])) as Images;
}

/** The images of a stack `mesh up` builds itself (the default init image), by tag. */
export function ownImages(images: Images): OwnImage[] {
  const init = initImage(JSON.parse(readFileSync(IMAGES_FILE, 'utf8')).init as string);
  return images.init === init.tag ? [init] : [];
}
