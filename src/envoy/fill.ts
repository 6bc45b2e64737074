// Placeholders in a data template (the Envoy bootstrap, the Compose stack's fragments): a string
// that is exactly `${NAME}` becomes the value of NAME, typed (a number, a list, a map); a value
// of `undefined` leaves the key (or the list item) out. `${NAME}` inside a longer string or a key
// is replaced by the value as text. A name without a value is an error naming the template.
const WHOLE = /^\$\{(\w+)\}$/;
const PART = /\$\{(\w+)\}/g;

export type TemplateValues = Record<string, unknown>;

const OMIT = Symbol('omit');

export function fillTemplate(template: unknown, values: TemplateValues, source: string): unknown {
  const lookup = (name: string): unknown => {
    if (!(name in values)) throw new Error(`${source}: no value for \${${name}}`);
    return values[name];
  };
  const text = (value: string) => value.replace(PART, (_, name: string) => String(lookup(name)));
  const fill = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(fill).filter((v) => v !== OMIT);
    if (typeof value === 'string') {
      const name = WHOLE.exec(value)?.[1];
      if (name === undefined) return text(value);
      const filled = lookup(name);
      return filled === undefined ? OMIT : filled;
    }
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const filled = fill(v);
      if (filled !== OMIT) out[text(k)] = filled;
    }
    return out;
  };
  const filled = fill(template);
  return filled === OMIT ? undefined : filled;
}
