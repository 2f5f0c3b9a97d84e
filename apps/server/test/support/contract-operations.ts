import { DIALECT_EXTENSION, type DialectName, loadOpenApiDocument } from '@keyplane/contract';

/** One operation of the merged contract, as the cross-cutting suites need it. */
export interface ContractOperation {
  readonly method: string;
  /** The contract's path template. */
  readonly template: string;
  readonly dialect: DialectName;
  /** Whether the operation asks for a credential. */
  readonly secured: boolean;
  /** The request body the contract shows as its example, for operations that take one. */
  readonly exampleBody?: unknown;
}

type Operation = {
  security?: Record<string, unknown>[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  [DIALECT_EXTENSION]: DialectName;
};

/** Every operation of the contract, in its order: a new operation is covered by the suites that use this. */
export function contractOperations(): ContractOperation[] {
  const document = loadOpenApiDocument() as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(document.paths).flatMap(([template, item]) =>
    Object.entries(item).map(([method, operation]) => {
      const content = operation.requestBody?.content;
      const example = (content?.['application/json'] ?? Object.values(content ?? {})[0])?.example;
      return {
        method: method.toUpperCase(),
        template,
        dialect: operation[DIALECT_EXTENSION],
        secured: (operation.security ?? []).some((requirement) => Object.keys(requirement).length > 0),
        ...(example === undefined ? {} : { exampleBody: example }),
      };
    }),
  );
}
