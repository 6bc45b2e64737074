// The inputs of planProcesses that come from this installation and this machine (Envoy, how to
// run `mesh`, the apps' Node, the environment), so that `mesh up` and a run that follows the
// Mesh while running (`mesh supervise`) plan processes the same way.
import { fileURLToPath } from 'node:url';
import type { MeshModel } from '../../config/model.ts';
import { adsBootstrap } from '../../xds/bootstrap.ts';
import { findEnvoy } from './envoy-binary.ts';
import { appNode } from './node-binary.ts';
import { planProcesses, type ProcessPlan } from './plan.ts';
import type { PortPlan } from './port-map.ts';
import { statePaths } from './state.ts';

export const MESH_BIN = fileURLToPath(new URL('../../../bin/mesh.js', import.meta.url));

export type Planner = (model: MeshModel, ports: PortPlan) => ProcessPlan;

/** Plans the processes of a mesh of `dir` with the Envoy found here (`envoy`: found once by the caller). */
export function planner(dir: string, options: { poll: boolean; envoy?: string }): Planner {
  const envoy = options.envoy ?? findEnvoy();
  const node = appNode();
  return (model, ports) =>
    planProcesses({
      model, dir, ports, envoy,
      paths: statePaths(dir),
      mesh: [process.execPath, MESH_BIN],
      env: process.env,
      poll: options.poll,
      appNode: node,
      bootstrap: adsBootstrap,
    });
}
