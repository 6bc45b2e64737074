// A valid mesh whose compiled config Envoy would refuse (a type or one of Envoy's own validation
// rules, see envoy/constraints.ts) is reported as an error of the mesh, never pushed or written.
// The config checks are meant to catch every such value at its YAML field first; reaching this
// means one slipped through, so the message says what Envoy would refuse and where in its config.
import type { Diagnostic } from '../config/diagnostics.ts';
import { EnvoyConfigError } from '../envoy/proto.ts';
import type { Addressing } from './addressing.ts';
import { compileMesh, type CompiledMesh } from './index.ts';
import type { MeshModel } from '../config/model.ts';

export interface CheckedCompile {
  compiled?: CompiledMesh;
  diagnostics: Diagnostic[];
}

/** compileMesh, with a refusal as a diagnostic on `where` (the mesh directory) instead of a throw. */
export function compileChecked(model: MeshModel, addressing: Addressing, where: string): CheckedCompile {
  try {
    return { compiled: compileMesh(model, addressing), diagnostics: [] };
  } catch (error) {
    if (!(error instanceof EnvoyConfigError)) throw error;
    return {
      diagnostics: [{
        file: where, line: 0, col: 0, severity: 'error',
        message: `Envoy would refuse the compiled config: ${error.resource ? `${error.resource}: ` : ''}${error.message}`,
        hint: 'a value in the mesh is outside what Envoy accepts and no check of localmesh caught it at its YAML field; please report it',
      }],
    };
  }
}
