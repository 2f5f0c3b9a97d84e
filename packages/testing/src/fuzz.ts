/**
 * Requests generated from the contract's own schemas, valid and deliberately broken,
 * from a seeded generator: the same seed gives the same requests.
 */

type Schema = Record<string, unknown>;

/** A small, fast, seedable generator (mulberry32). */
export class Random {
  #state: number;
  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }
}

/** Strings that break parsers, stores and renderers in their own ways. */
export const NASTY_STRINGS = [
  '',
  ' ',
  'x'.repeat(10_000),
  '\u0000',
  'nul\u0000inside',
  '\ud800',
  '🔑🗝️',
  'e\u0301',
  '\u202e\u0644\u0627',
  '<script>alert(1)</script>',
  "' or 1=1 --",
  '../../etc/passwd',
  '%00',
  '{"$ne": null}',
  'null',
  '-1',
  '1e309',
  'kp_0000000000000000000000000000000000000000000000000',
];

const WRONG_TYPES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e300,
  'string',
  [],
  {},
  [null],
  { nested: { deep: [] } },
];

export class SchemaFuzzer {
  readonly #document: Schema;
  readonly #random: Random;
  /** Values to use for path parameters and cursors that name real resources. */
  readonly knownIds: string[] = [];

  constructor(document: Schema, random: Random) {
    this.#document = document;
    this.#random = random;
  }

  resolve(schema: Schema | undefined): Schema {
    let current = schema ?? {};
    for (let depth = 0; typeof current.$ref === 'string' && depth < 20; depth += 1) {
      const path = (current.$ref as string).replace(/^#\//, '').split('/');
      current = path.reduce<unknown>((node, segment) => (node as Schema)?.[segment], this.#document) as Schema;
    }
    return current;
  }

  /** A value the schema accepts (as far as generation can tell). */
  valid(input: Schema | undefined, depth = 0): unknown {
    const random = this.#random;
    const schema = this.resolve(input);
    const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (alternatives) return this.valid(random.pick(alternatives), depth + 1);
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum)) return random.pick(schema.enum);
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [schema.type as string] : [];
    const type = types.length > 0 ? random.pick(types) : 'object';
    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return random.chance(0.5);
      case 'integer':
      case 'number': {
        const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
        const max = typeof schema.maximum === 'number' ? schema.maximum : min + 1000;
        return random.int(min, Math.min(max, min + 1000));
      }
      case 'string':
        return this.#validString(schema);
      case 'array': {
        const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
        const max = Math.min(typeof schema.maxItems === 'number' ? schema.maxItems : 3, min + 3);
        return depth > 4
          ? []
          : Array.from({ length: random.int(min, max) }, () => this.valid(schema.items as Schema, depth + 1));
      }
      default: {
        const properties = (schema.properties ?? {}) as Record<string, Schema>;
        const required = new Set((schema.required ?? []) as string[]);
        const value: Record<string, unknown> = {};
        for (const [name, property] of Object.entries(properties)) {
          if (required.has(name) || (depth < 4 && random.chance(0.6))) value[name] = this.valid(property, depth + 1);
        }
        return value;
      }
    }
  }

  #validString(schema: Schema): string {
    const random = this.#random;
    switch (schema.format) {
      case 'uuid':
        return this.knownIds.length > 0 && random.chance(0.7) ? random.pick(this.knownIds) : random.uuid();
      case 'date-time':
        return new Date(Date.now() + random.int(1, 1000) * 86_400_000).toISOString();
      default:
        break;
    }
    if (typeof schema.pattern === 'string' && schema.pattern.includes('\\.')) {
      return random.pick(['queues.read', 'api_keys.read', 'calls.view', 'events.write:e-1', 'invoices.read']);
    }
    const min = typeof schema.minLength === 'number' ? schema.minLength : 1;
    const max = Math.min(typeof schema.maxLength === 'number' ? schema.maxLength : 24, 24);
    return Array.from({ length: random.int(Math.min(min, max), max) }, () =>
      random.pick([...'abcdefghijklmnopqrstuvwxyz0123456789 -_']),
    ).join('');
  }

  /** A value the schema should refuse, or an odd one it may accept. */
  invalid(input: Schema | undefined): unknown {
    const random = this.#random;
    const schema = this.resolve(input);
    const roll = random.next();
    if (roll < 0.3) return random.pick(WRONG_TYPES);
    if (roll < 0.6) return random.pick(NASTY_STRINGS);
    const value = this.valid(schema);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const broken: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const names = Object.keys(broken);
      const action = random.int(0, 2);
      if (action === 0 && names.length > 0) delete broken[random.pick(names)];
      else if (action === 1 && names.length > 0) broken[random.pick(names)] = this.invalid(undefined);
      else broken[`unexpected_${random.int(0, 9)}`] = random.pick(WRONG_TYPES);
      return broken;
    }
    return random.pick(NASTY_STRINGS);
  }
}
