import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export { DIALECT_EXTENSION, DIALECTS, type DialectName } from './dialects.js';
export type { components, operations, paths } from './generated/openapi.js';

/** Where the merged contract lives; it is committed at the top of the repository. */
export const openApiDocumentUrl = new URL('../../../spec/openapi.yaml', import.meta.url);

let document: Record<string, unknown> | undefined;

/** The merged OpenAPI 3.1 document, parsed once per process. */
export function loadOpenApiDocument(): Record<string, unknown> {
  document ??= parse(readFileSync(openApiDocumentUrl, 'utf8')) as Record<string, unknown>;
  return document;
}
