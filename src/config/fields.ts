// Checks that apply to a type of field wherever it occurs in a document: every Duration parses
// (and is at least 1ms, in whole milliseconds, where Istio says so), every Percent is within
// 0–100, every StringMatch has one form, no empty prefix and a regex Envoy's RE2 accepts,
// and every field localmesh accepts but does not apply gets a warning.
import { RE2JS } from 're2js';
import type { z } from 'zod';
import { parseDuration } from './duration.ts';
import type { KindName } from './kinds.ts';
import type { SourceDocument } from './load.ts';
import { notAppliedFields } from './not-applied.ts';
import { formatPath, keyAt, valueAt, type Path } from './position.ts';
import type { Report } from './report.ts';
import { AnyDuration, Duration, Percent, StringMatch } from './schema/common.ts';
import { walkSchema } from './walk.ts';

/** Envoy matches headers, paths and origins with RE2, which has no look-around or back-references. */
export function regexProblem(regex: string): string | undefined {
  try {
    RE2JS.compile(regex);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Istio approximates Envoy's RE2 program size limit by the length of the regex. */
const MAX_REGEX_LENGTH = 1024;

export function checkRegex(source: SourceDocument, path: Path, regex: string, report: Report): void {
  if (regex === '') {
    report('error', valueAt(source, path), `the regex at ${formatPath(path)} is empty`, 'write a pattern, e.g. ^/api/.*');
    return;
  }
  if (regex.length > MAX_REGEX_LENGTH) {
    report('error', valueAt(source, path), `the regex at ${formatPath(path)} is ${regex.length} characters long; Istio allows at most ${MAX_REGEX_LENGTH}`);
    return;
  }
  const problem = regexProblem(regex);
  if (problem) {
    report('error', valueAt(source, path), `regex '${regex}' at ${formatPath(path)} is not valid for Envoy (RE2): ${problem}`,
      'RE2 has no look-ahead/look-behind ((?=, (?!, (?<=) and no back-references (\\1)');
  }
}

/** Every duration parses; one Istio bounds (Duration, not AnyDuration) is at least 1ms, in whole milliseconds. */
function checkDuration(source: SourceDocument, path: Path, text: string, bounded: boolean, report: Report): void {
  const ms = parseDuration(text);
  const at = valueAt(source, path);
  if (ms === undefined) {
    report('error', at, `'${text}' at ${formatPath(path)} is not a duration`, 'write a number and a unit: 7s, 1.5s, 100ms, 2m, 1h (units h, m, s, ms, us, ns)');
  } else if (bounded && ms < 1) {
    report('error', at, `${formatPath(path)} is ${text}; Istio requires a duration of at least 1ms`, 'e.g. 1ms, 100ms, 1s');
  } else if (bounded && Math.abs(ms - Math.round(ms)) > 1e-7) {
    report('error', at, `${formatPath(path)} is ${text}; Istio takes durations in whole milliseconds`, `e.g. ${Math.round(ms)}ms`);
  }
}

export function checkPercentValue(source: SourceDocument, path: Path, value: number, report: Report): void {
  if (value < 0 || value > 100) {
    report('error', valueAt(source, path), `${formatPath(path)} is ${value}; a percentage must be between 0 and 100`);
  }
}

export function checkFields(kind: KindName, schema: z.core.$ZodType, source: SourceDocument, value: unknown, report: Report): void {
  walkSchema(schema, value, (s, v, path) => {
    if ((s === Duration || s === AnyDuration) && typeof v === 'string') {
      checkDuration(source, path, v, s === Duration, report);
    } else if (s === Percent) {
      checkPercentValue(source, [...path, 'value'], (v as z.infer<typeof Percent>).value, report);
    } else if (s === StringMatch) {
      const match = v as StringMatch;
      const forms = (['exact', 'prefix', 'regex'] as const).filter((f) => match[f] !== undefined);
      if (forms.length > 1) {
        report('error', keyAt(source, [...path, forms[1]!]), `${formatPath(path)} sets ${forms.join(' and ')}; a string match takes exactly one of exact, prefix or regex`);
      }
      // Istio: an empty prefix matches everything, which only a URI match may say (Envoy's
      // StringMatcher takes no empty prefix); an empty regex is no pattern at all.
      const isUri = path.at(-1) === 'uri' && path.at(-3) === 'match';
      if (match.prefix === '' && !isUri) {
        report('error', valueAt(source, [...path, 'prefix']), `${formatPath(path)}.prefix is empty; a prefix match needs at least one character`,
          'to match any value, match its presence with {} (headers) or leave the match out');
      }
      if (match.regex !== undefined) checkRegex(source, [...path, 'regex'], match.regex, report);
    }
  });
  for (const { path, entry } of notAppliedFields(kind, value)) {
    report('warning', keyAt(source, path), `${kind} ${formatPath(path)} is accepted but not applied by localmesh yet: ${entry.effect}`);
  }
}
