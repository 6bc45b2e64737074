// Durations as Istio writes them (`1.5s`, `100ms`, `2m`, `1h`, `250us`, `10ns`) and as Envoy's
// JSON wants them (`1.500s`).

const UNITS_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
const DURATION = /^(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns)$/;

/** Milliseconds, or undefined when the text is not a duration. Compound forms (`1m30s`) are accepted. */
export function parseDuration(text: string): number | undefined {
  const parts = text.match(/\d+(?:\.\d+)?(?:ms|us|µs|ns|h|m|s)/g);
  if (!parts || parts.join('') !== text) return undefined;
  let total = 0;
  for (const part of parts) {
    const m = DURATION.exec(part);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS_MS[m[2]!]!;
  }
  return total;
}

/** Envoy's JSON form of a duration in milliseconds: seconds with up to nine decimals, e.g. `1.5s`. */
export function envoyDuration(ms: number): string {
  const nanos = Math.round(ms * 1_000_000);
  const seconds = Math.floor(nanos / 1_000_000_000);
  const rest = nanos % 1_000_000_000;
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(9, '0').replace(/0+$/, '')}s`;
}

/** Istio duration text straight to Envoy's form; the text must have been validated. */
export function toEnvoyDuration(text: string): string {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: ${text}`);
  return envoyDuration(ms);
}
