/**
 * Merges the per-dialect OpenAPI sources into keyplane's single contract.
 *
 * Each source is a complete OpenAPI 3.1 document. Component names must carry their
 * dialect's prefix so that no two dialects can ever claim the same name, and no path
 * may be declared by two sources: either mistake stops the merge instead of letting
 * one dialect silently overwrite another.
 */

import { DIALECT_EXTENSION } from '../src/dialects.ts';

export interface DialectSource {
  /** Dialect name, also the tag of its operations (`discue`, `diga`, …). */
  readonly name: string;
  /** Prefix every component name of this source must start with (`Discue`, …). */
  readonly prefix: string;
  readonly document: OpenApiDocument;
}

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are open-ended JSON.
type Json = any;

export interface OpenApiDocument {
  openapi: string;
  info: Json;
  servers?: Json[];
  tags?: Json[];
  paths?: Record<string, Record<string, Json>>;
  components?: Record<string, Record<string, Json>>;
  [extension: string]: Json;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export class MergeError extends Error {
  override readonly name = 'MergeError';
}

/**
 * `base` contributes the top-level fields (info, servers); every source contributes
 * tags, paths and components. Operations are marked with `x-keyplane-dialect`.
 */
export function mergeDialects(base: DialectSource, others: readonly DialectSource[]): OpenApiDocument {
  const merged: OpenApiDocument = {
    openapi: '3.1.0',
    info: base.document.info,
    ...(base.document.servers ? { servers: base.document.servers } : {}),
    tags: [],
    paths: {},
    components: {},
  };
  const operationIds = new Map<string, string>();

  for (const source of [base, ...others]) {
    const { document } = source;
    if (!/^3\.1\.\d+$/.test(document.openapi)) {
      throw new MergeError(`${source.name}: expected OpenAPI 3.1, found ${document.openapi}`);
    }
    for (const tag of document.tags ?? []) {
      if (merged.tags?.some((existing: Json) => existing.name === tag.name)) {
        throw new MergeError(`${source.name}: tag "${tag.name}" is declared by another dialect`);
      }
      merged.tags?.push(tag);
    }
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      if (merged.paths && path in merged.paths) {
        throw new MergeError(`${source.name}: path ${path} is declared by another dialect`);
      }
      const markedItem: Record<string, Json> = {};
      for (const [key, value] of Object.entries(item)) {
        if (!HTTP_METHODS.has(key)) {
          markedItem[key] = value;
          continue;
        }
        const operationId: unknown = value.operationId;
        if (typeof operationId !== 'string') {
          throw new MergeError(`${source.name}: ${key.toUpperCase()} ${path} has no operationId`);
        }
        const owner = operationIds.get(operationId);
        if (owner) {
          throw new MergeError(`${source.name}: operationId ${operationId} is already used by ${owner}`);
        }
        operationIds.set(operationId, source.name);
        markedItem[key] = { ...value, [DIALECT_EXTENSION]: source.name };
      }
      (merged.paths as Record<string, Json>)[path] = markedItem;
    }
    for (const [section, entries] of Object.entries(document.components ?? {})) {
      const target = (merged.components as Record<string, Record<string, Json>>)[section] ?? {};
      for (const [componentName, component] of Object.entries(entries)) {
        if (!componentName.startsWith(source.prefix)) {
          throw new MergeError(
            `${source.name}: component ${section}/${componentName} must start with "${source.prefix}"`,
          );
        }
        if (componentName in target) {
          throw new MergeError(`${source.name}: component ${section}/${componentName} is declared twice`);
        }
        target[componentName] = component;
      }
      (merged.components as Record<string, Record<string, Json>>)[section] = target;
    }
  }
  return merged;
}
