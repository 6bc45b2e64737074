// Collecting diagnostics while checking: one function call per finding.
import type { Diagnostic, Severity } from './diagnostics.ts';
import type { SourceRef } from './model.ts';

/** `code`: Istio's analysis code for the same finding (analyze/codes.ts), if Istio has one. */
export type Report = (severity: Severity, at: SourceRef, message: string, hint?: string, code?: string) => void;

export function collector(): { diagnostics: Diagnostic[]; report: Report } {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (severity, at, message, hint, code) =>
    diagnostics.push({ file: at.file, line: at.line, col: at.col, severity, message, ...(hint ? { hint } : {}), ...(code ? { code } : {}) });
  return { diagnostics, report };
}

/** `file:line:col`, for pointing from one finding at another place. */
export function formatRef(ref: SourceRef): string {
  return `${ref.file}:${ref.line}:${ref.col}`;
}
