// The images a stack runs: settings.images in the Mesh, else LOCALMESH_<NAME>_IMAGE in the
// environment, else the tags of templates/docker/images.json (what scripts/docker/build-images
// builds and tags).
import { readFileSync } from 'node:fs';
import type { Settings } from '../config/schema/mesh.ts';

export const IMAGE_ROLES = ['envoy', 'node', 'init', 'control'] as const;
export type ImageRole = (typeof IMAGE_ROLES)[number];
export type Images = Record<ImageRole, string>;

export const IMAGES_FILE = new URL('../../templates/docker/images.json', import.meta.url);

export function defaultImages(): Images {
  return JSON.parse(readFileSync(IMAGES_FILE, 'utf8')) as Images;
}

export function resolveImages(settings: Settings, env: Record<string, string | undefined>, defaults: Images = defaultImages()): Images {
  const pick = (role: ImageRole) => settings.images?.[role] ?? env[`LOCALMESH_${role.toUpperCase()}_IMAGE`] ?? defaults[role];
  return Object.fromEntries(IMAGE_ROLES.map((role) => [role, pick(role)])) as Images;
}
