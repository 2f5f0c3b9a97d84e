/**
 * Compile-time proof that a route's zod schemas say exactly what the merged OpenAPI
 * contract says. A route whose path parameters, query, body, status codes or response
 * bodies drift from `spec/openapi.yaml` no longer type-checks, and the error names
 * the part that differs.
 */
import type { RouteConfig, z } from '@hono/zod-openapi';
import type { paths } from '@keyplane/contract';

/**
 * Flattens intersections and mapped types so that structurally equal types compare equal.
 * An optional property is the same whether or not its type spells out `undefined` (zod
 * says `x?: T | undefined`, the generated types `x?: T`).
 */
type Normalize<T> = T extends readonly (infer Item)[]
  ? Normalize<Item>[]
  : T extends object
    ? { [K in keyof T]: Normalize<Exclude<T[K], undefined>> }
    : T;

type Same<A, B> =
  (<T>() => T extends Normalize<A> ? 1 : 2) extends <T>() => T extends Normalize<B> ? 1 : 2 ? true : false;

type ZodOutput<S> = S extends z.ZodType ? z.output<S> : never;
type ZodInput<S> = S extends z.ZodType ? z.input<S> : never;

/** The generated operation a route claims to implement. */
export type OperationOf<R extends RouteConfig> = R['path'] extends keyof paths
  ? R['method'] extends keyof paths[R['path']]
    ? NonNullable<paths[R['path']][R['method']]>
    : never
  : never;

type Absent = never;

type SpecParameters<Op, Part extends 'path' | 'query'> = Op extends { parameters: infer P }
  ? P extends { [K in Part]: infer Value }
    ? Value
    : P extends { [K in Part]?: infer Value }
      ? [NonNullable<Value>] extends [never]
        ? Absent
        : NonNullable<Value>
      : Absent
  : Absent;

type RouteParameters<R extends RouteConfig, Part extends 'params' | 'query'> = R['request'] extends {
  [K in Part]: infer Schema;
}
  ? ZodOutput<Schema>
  : Absent;

type SpecBody<Op> = Op extends { requestBody?: infer Body }
  ? [NonNullable<Body>] extends [never]
    ? Absent
    : NonNullable<Body> extends { content: { 'application/json': infer Json } }
      ? Json
      : Absent
  : Absent;

type RouteBody<R extends RouteConfig> = R['request'] extends {
  body: { content: { 'application/json': { schema: infer Schema } } };
}
  ? ZodInput<Schema>
  : Absent;

type SpecResponses<Op> = Op extends { responses: infer Responses } ? Responses : never;

/** The JSON body a response declares (any media type ending in json), or never when it has none. */
export type SpecResponseBody<Response> = Response extends { content: infer Content }
  ? Content extends Record<string, unknown>
    ? Content[keyof Content]
    : never
  : never;

type RouteResponseBody<Response> = Response extends { content: infer Content }
  ? Content extends Record<string, { schema: infer Schema }>
    ? ZodOutput<Schema>
    : never
  : never;

type StatusMismatch<R extends RouteConfig, Op> =
  Exclude<keyof SpecResponses<Op>, keyof R['responses']> extends never
    ? Exclude<keyof R['responses'], keyof SpecResponses<Op>> extends never
      ? never
      : `declares status ${Extract<Exclude<keyof R['responses'], keyof SpecResponses<Op>>, number>} that the contract does not`
    : `misses status ${Extract<Exclude<keyof SpecResponses<Op>, keyof R['responses']>, number>} of the contract`;

type BodyMismatch<R extends RouteConfig, Op> = {
  [S in keyof SpecResponses<Op> & keyof R['responses']]: Same<
    RouteResponseBody<R['responses'][S]>,
    SpecResponseBody<SpecResponses<Op>[S]>
  > extends true
    ? never
    : `response ${S & number} body differs from the contract`;
}[keyof SpecResponses<Op> & keyof R['responses']];

type ContentTypeMismatch<R extends RouteConfig, Op> = {
  [S in keyof SpecResponses<Op> & keyof R['responses']]: Same<
    keyof NonNullable<R['responses'][S] extends { content: infer C } ? C : never>,
    keyof NonNullable<SpecResponses<Op>[S] extends { content?: infer C } ? C : never>
  > extends true
    ? never
    : `response ${S & number} media type differs from the contract`;
}[keyof SpecResponses<Op> & keyof R['responses']];

/** Every way the route differs from its operation in the contract, as readable messages. */
export type ContractMismatch<R extends RouteConfig> = [OperationOf<R>] extends [never]
  ? `${Uppercase<R['method']>} ${R['path']} is not an operation of the contract`
  :
      | (Same<RouteParameters<R, 'params'>, SpecParameters<OperationOf<R>, 'path'>> extends true
          ? never
          : 'path parameters differ from the contract')
      // Query parameters with defaults are optional on the wire and present once parsed, so
      // their optionality is not compared; their names and types are.
      | (Same<Required<RouteParameters<R, 'query'>>, Required<SpecParameters<OperationOf<R>, 'query'>>> extends true
          ? never
          : 'query parameters differ from the contract')
      | (Same<RouteBody<R>, SpecBody<OperationOf<R>>> extends true ? never : 'request body differs from the contract')
      | StatusMismatch<R, OperationOf<R>>
      | BodyMismatch<R, OperationOf<R>>
      | ContentTypeMismatch<R, OperationOf<R>>;
