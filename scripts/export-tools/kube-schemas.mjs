// Kubernetes' OpenAPI spec (api/openapi-spec/swagger.json of the k8s.io/kubernetes Go module) and
// CustomResourceDefinitions (Istio's crd-all.gen.yaml) → one strict, self-contained JSON schema per
// kind and version, laid out for kubeconform's
//   -schema-location 'OUT/{{ .Group }}/{{ .ResourceKind }}-{{ .ResourceAPIVersion }}.json'
// (the core group is the folder `v1`, as kubeconform names it). Strict as kubeconform's own
// `-strict` schemas: no field a schema does not declare (additionalProperties: false), null allowed
// where a type is (kubectl writes `creationTimestamp: null`), int-or-string and quantities as both.
// Usage: node kube-schemas.mjs OUT SWAGGER.json [CRDS.yaml...]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const [out, swaggerFile, ...crdFiles] = process.argv.slice(2);
if (!out || !swaggerFile) {
  console.error('usage: node kube-schemas.mjs OUT SWAGGER.json [CRDS.yaml...]');
  process.exit(2);
}

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/** Keywords whose subschemas constrain the object beside them rather than describe it: never closed. */
const OVERLAYS = new Set(['oneOf', 'anyOf', 'allOf', 'not']);
/** Keywords that hold a schema, or a list of schemas. */
const SCHEMA = new Set(['items', 'additionalProperties', 'not', 'oneOf', 'anyOf', 'allOf']);
/** Keywords that hold schemas by name. */
const SCHEMAS = new Set(['properties', 'patternProperties', 'definitions']);

/** The schema made strict and lenient about null, as kubeconform's -strict schemas are. */
function fix(schema, overlay = false) {
  if (Array.isArray(schema)) return schema.map((s) => fix(s, overlay));
  if (schema === null || typeof schema !== 'object') return schema;
  const s = {};
  for (const [k, v] of Object.entries(schema)) {
    if (SCHEMA.has(k)) s[k] = fix(v, OVERLAYS.has(k));
    else if (SCHEMAS.has(k)) s[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, fix(sub)]));
    else s[k] = v;
  }
  if (s.format === 'int-or-string' || s['x-kubernetes-int-or-string'] === true) {
    delete s.type;
    delete s.format;
    s.oneOf = [{ type: ['string', 'null'] }, { type: ['integer', 'null'] }];
  }
  if (!overlay && s.properties && s.additionalProperties === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true) s.additionalProperties = false;
  if (typeof s.type === 'string') s.type = [s.type, 'null'];
  return s;
}

let written = 0;
function write(group, kind, version, schema) {
  const dir = join(out, group || 'v1');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${kind.toLowerCase()}-${version}.json`), JSON.stringify(schema));
  written++;
}

// Kubernetes' own kinds: each with the definitions it reaches, referred to as #/definitions/NAME.
const swagger = JSON.parse(readFileSync(swaggerFile, 'utf8'));
const defs = swagger.definitions;
defs[QUANTITY] = { description: defs[QUANTITY]?.description, oneOf: [{ type: 'string' }, { type: 'number' }] };
const fixed = Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, fix(def)]));

function reached(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && x.startsWith('#/definitions/')) reached(x.slice('#/definitions/'.length), seen);
        else walk(x);
      }
    }
  };
  walk(defs[name]);
  return seen;
}

for (const [name, def] of Object.entries(defs)) {
  for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
    const definitions = Object.fromEntries([...reached(name)].sort().map((n) => [n, fixed[n]]));
    write(gvk.group, gvk.kind, gvk.version, { ...fixed[name], definitions });
  }
}

// CustomResourceDefinitions: each served version's openAPIV3Schema.
for (const file of crdFiles) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const crd = doc.toJS();
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const version of crd.spec.versions ?? []) {
      const schema = version.schema?.openAPIV3Schema;
      if (!schema || version.served === false) continue;
      const strict = fix(schema);
      strict.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...strict.properties };
      strict.additionalProperties = false;
      write(crd.spec.group, crd.spec.names.kind, version.name, strict);
    }
  }
}
console.log(`${written} schemas in ${out}`);
