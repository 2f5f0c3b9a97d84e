import { loadOpenApiDocument } from '@keyplane/contract';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats ships CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Json = Record<string, unknown>;

export interface ObservedResponse {
  readonly method: string;
  /** The contract's path template, e.g. `/v1/api_keys/{api_key_id}`. */
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  /** The raw body text; empty when there was none. */
  readonly body: string;
}

/**
 * Checks live responses against an OpenAPI 3.1 document: the status must be one the
 * operation documents, the media type one it declares, the body valid against its
 * JSON Schema (2020-12, formats included), and `X-Request-Id` present.
 */
export class ContractValidator {
  readonly #document: Json;
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(document: Json = loadOpenApiDocument()) {
    this.#document = document;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.#ajv);
  }

  /** Every way `observed` breaks the contract; empty when it conforms. */
  problems(observed: ObservedResponse): string[] {
    const where = `${observed.method.toUpperCase()} ${observed.path} → ${observed.status}`;
    const paths = this.#document.paths as Record<string, Record<string, Json>>;
    const operation = paths[observed.path]?.[observed.method.toLowerCase()];
    if (!operation) return [`${where}: the contract has no such operation`];
    const responses = operation.responses as Record<string, Json>;
    const declared = responses[String(observed.status)] ?? responses.default;
    if (!declared) {
      return [`${where}: status not documented (documented: ${Object.keys(responses).join(', ')})`];
    }
    const response = this.#resolve(declared);
    const problems: string[] = [];
    if (!observed.headers.get('x-request-id')) problems.push(`${where}: no X-Request-Id header`);

    const content = response.content as Record<string, Json> | undefined;
    if (!content) {
      if (observed.body.length > 0) problems.push(`${where}: documented without content, got ${observed.body}`);
      return problems;
    }
    const mediaType = (observed.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const media = content[mediaType];
    if (!media) {
      problems.push(`${where}: media type "${mediaType}" not documented (${Object.keys(content).join(', ')})`);
      return problems;
    }
    let body: unknown;
    // A text answer (`/metrics`) is its own value; every other body is JSON.
    if (mediaType.startsWith('text/')) body = observed.body;
    else
      try {
        body = JSON.parse(observed.body);
      } catch {
        problems.push(`${where}: body is not JSON: ${observed.body.slice(0, 200)}`);
        return problems;
      }
    const validate = this.#validator(`${observed.path} ${observed.method} ${observed.status} ${mediaType}`, media);
    if (!validate(body)) {
      problems.push(
        `${where}: body ${JSON.stringify(body)} breaks the schema: ${this.#ajv.errorsText(validate.errors)}`,
      );
    }
    return problems;
  }

  #resolve(value: Json): Json {
    const ref = value.$ref;
    if (typeof ref !== 'string') return value;
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>(
        (node, segment) => (node as Json)?.[segment.replace(/~1/g, '/').replace(/~0/g, '~')],
        this.#document,
      );
    return this.#resolve(target as Json);
  }

  #validator(key: string, media: Json): ValidateFunction {
    let validate = this.#compiled.get(key);
    if (!validate) {
      // Compiled with the document's components beside it, so `#/components/...` refs resolve.
      validate = this.#ajv.compile({ ...(media.schema as Json), components: this.#document.components });
      this.#compiled.set(key, validate);
    }
    return validate;
  }
}
