// Names in a Compose stack: the project (from the mesh name), the services of each workload
// instance, the labels the CLI finds containers by. Names other layers share are in config/names.ts.
import { instanceName, sidecarName } from '../config/names.ts';

/** Compose project names are lowercase letters, digits, `-` and `_`, starting with a letter or digit. */
export function projectName(meshName: string): string {
  const name = meshName.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return name || 'mesh';
}

/** One workload instance: replica 1 is `S-v`, further replicas `S-v-r2`, `S-v-r3`… */
export interface Instance {
  /** Envoy node id, shared by all replicas: `S-v`. */
  proxyId: string;
  app: string;
  proxy: string;
  init: string;
  /** The namespace holder: `S-v-pod`. */
  pod: string;
}

export function instances(proxyId: string, replicas: number): Instance[] {
  return Array.from({ length: replicas }, (_, i) => {
    const base = instanceName(proxyId, i + 1);
    return { proxyId, app: base, proxy: sidecarName(base), init: `${base}-init`, pod: `${base}-pod` };
  });
}

/** Labels on every container of a stack, for `mesh status` and the progress lines. */
export const LABEL = {
  role: 'dev.localmesh.role',
  proxy: 'dev.localmesh.proxy',
  service: 'dev.localmesh.service',
} as const;
export type Role = 'control' | 'gateway' | 'pod' | 'proxy' | 'init' | 'app';
