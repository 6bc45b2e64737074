// Collecting diagnostics while checking: one function call per finding.
import type { Diagnostic, Severity } from './diagnostics.ts';
import type { SourceRef } from './model.ts';

/** `code`: Istio's analysis code for the same finding (analyze/codes.ts), if Istio has one. */
export type Report = (severity: Severity, at: SourceRef, message: string, hint?: string, code?: string) => void;

export function collector(): { diagnostics: Diagnostic[]; report: Report } {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (severity, at, message, hint, code) =>
    diagnostics.push(diagnosticAt(at, { severity, message, ...(hint ? { hint } : {}), ...(code ? { code } : {}) }));
  return { diagnostics, report };
}

/**
 * A finding at `at`, whose line and column are read from `at` when first asked: a SourceRef of a
 * check works them out from the positioned parse of its file (position.ts), which a mesh that
 * reloads with a warning then does not pay for on every reload (the control plane counts its
 * warnings; their places are read when they are shown).
 */
function diagnosticAt(at: SourceRef, rest: Omit<Diagnostic, 'file' | 'line' | 'col'>): Diagnostic {
  const d = { file: at.file } as Diagnostic;
  Object.defineProperties(d, {
    line: { get: () => at.line, enumerable: true },
    col: { get: () => at.col, enumerable: true },
  });
  return Object.assign(d, rest);
}

/** `file:line:col`, for pointing from one finding at another place. */
export function formatRef(ref: SourceRef): string {
  return `${ref.file}:${ref.line}:${ref.col}`;
}
