// Where a version's field is written in the Mesh document, for a runtime's warning about it
// (FILE:LINE:COL of the key): the model keeps the position of each service only.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseAllDocuments } from 'yaml';
import type { ServiceModel, SourceRef } from '../../config/model.ts';

export async function versionFieldAt(service: ServiceModel, version: string, field: string): Promise<SourceRef> {
  const { file } = service.source;
  try {
    const lines = new LineCounter();
    const docs = parseAllDocuments(await readFile(file, 'utf8'), { lineCounter: lines });
    if ('empty' in docs) return service.source;
    for (const doc of docs) {
      if (doc.get('kind') !== 'Mesh') continue;
      const node = doc.getIn(['spec', 'services', service.name, 'versions', version], true);
      if (!isMap(node)) continue;
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === field);
      const at = (isScalar(pair?.key) ? pair.key.range?.[0] : undefined) ?? node.range?.[0];
      if (at !== undefined) return { file, ...lines.linePos(at) };
    }
  } catch {
    // the file changed or went away since it was validated: the service's position will do
  }
  return service.source;
}
