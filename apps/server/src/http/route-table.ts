import { DIALECT_EXTENSION, type DialectName } from '@keyplane/contract';

/**
 * Which dialect owns a path, and which methods it allows there, read from the contract.
 * Used for the answers no route gives: unknown paths (404) and wrong methods (405).
 */
export interface RouteTable {
  /** The dialect owning a path; keyplane's own for paths no dialect claims. */
  dialectOf(path: string): DialectName;
  methodsOf(path: string): string[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function routeTable(document: Record<string, unknown>): RouteTable {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  const entries = Object.entries(paths).map(([template, item]) => {
    const pattern = new RegExp(
      `^${template
        .split(/\{[^}]+\}/)
        .map(escapeRegExp)
        .join('[^/]+')}$`,
    );
    const methods = METHODS.filter((method) => method in item);
    const dialect = (item[methods[0] ?? '']?.[DIALECT_EXTENSION] ?? 'keyplane') as DialectName;
    const prefix = template.split('{')[0] as string;
    return { pattern, methods, dialect, prefix };
  });
  // The longest matching prefix names the dialect of a path no route matches.
  const byPrefix = [...entries].sort((a, b) => b.prefix.length - a.prefix.length);

  return {
    dialectOf(path) {
      const exact = entries.find((entry) => entry.pattern.test(path));
      if (exact) return exact.dialect;
      const segments = (prefix: string) => prefix.replace(/\/$/, '');
      return byPrefix.find((entry) => path.startsWith(segments(entry.prefix)))?.dialect ?? 'keyplane';
    },
    methodsOf(path) {
      const methods = entries.filter((entry) => entry.pattern.test(path)).flatMap((entry) => entry.methods);
      if (methods.includes('get') && !methods.includes('head')) methods.push('head');
      return methods.map((method) => method.toUpperCase());
    },
  };
}
