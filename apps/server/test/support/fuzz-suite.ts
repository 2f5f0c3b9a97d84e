import { diga, discue, keyplane } from '@keyplane/client';
import { loadOpenApiDocument } from '@keyplane/contract';
import { NASTY_STRINGS, Random, SchemaFuzzer } from '@keyplane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, IN_PROCESS, startHarness } from './harness.js';
import { newOrganization } from './organizations.js';

/**
 * Requests generated from every operation's schemas, valid and broken, seeded: a failure
 * names its seed, and FUZZ_SEED=<seed> replays it. Every answer must be a status the
 * operation documents, with a body its schema accepts, never a 5xx; a refused request
 * must leave the audit log (and so the store) as it was.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const REQUESTS_PER_OPERATION = Number(process.env.FUZZ_REQUESTS ?? 400);

type Schema = Record<string, unknown>;

/** Percent-encodes a path segment; an unpaired surrogate is sent as U+FFFD, as a browser would. */
const encodePathSegment = (text: string) => encodeURIComponent(text.replace(/[\ud800-\udfff]/gu, '\ufffd'));

/** HTTP header values are bytes: only the nasty strings a client can put in a header. */
const HEADER_SAFE_NASTY = NASTY_STRINGS.filter((text) =>
  [...text].every((char) => char.charCodeAt(0) > 31 && char.charCodeAt(0) < 256),
);
type Operation = { parameters?: Schema[]; requestBody?: Schema; security?: unknown[] };

const document = loadOpenApiDocument() as { paths: Record<string, Record<string, Operation>> };
const ALL_OPERATIONS = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
);

/**
 * Fuzzes one shard of the contract's operations (every `shards`-th one from `shard`), so that
 * the shards run side by side, each in a file of its own.
 */
export function fuzzShard(shard: number, shards: number): void {
  const operations = ALL_OPERATIONS.filter((_, index) => index % shards === shard);
  describe(`spec-driven fuzzing, shard ${shard + 1} of ${shards} (FUZZ_SEED=${SEED})`, () => {
    let harness: Harness;
    let organization: Awaited<ReturnType<typeof newOrganization>>;
    const random = new Random(SEED + shard);
    const fuzzer = new SchemaFuzzer(loadOpenApiDocument(), random);
    let sent = 0;
    const answered = { accepted: 0, refused: 0 };

    beforeAll(async () => {
      harness = await startHarness(IN_PROCESS);
      organization = await newOrganization(harness, 'fuzzed');
      const admin = organization.client();
      const keys = await Promise.all(
        Array.from({ length: 5 }, (_, index) => diga.createKey(admin, { name: `fuzz ${index}`, restricted: false })),
      );
      // The admin key is the fuzzer's own credential: it is left out of the ids it may delete or rotate.
      fuzzer.knownIds.push(organization.defaultApplicationId, ...keys.map((key) => key.id));
      await discue.createKey(admin);
    });
    afterAll(async () => {
      expect(harness.unexpectedErrors).toEqual([]);
      await harness.close();
    });

    /** The newest audit event: every change appends one, so a refused request leaves it as it was. */
    const newestEvent = async () => (await keyplane.listAuditEvents(organization.client(), { limit: 1 })).data[0]?.id;

    it.each(operations)(
      '$method $path answers every generated request within its contract',
      async ({ path, method, operation }) => {
        const parameters = (operation.parameters ?? []).map((parameter) => fuzzer.resolve(parameter));
        const bodySchema = fuzzer.resolve(operation.requestBody)?.content as
          | Record<string, { schema: Schema }>
          | undefined;
        const jsonSchema = bodySchema?.['application/json']?.schema;
        for (let index = 0; index < REQUESTS_PER_OPERATION; index += 1) {
          const breaking = random.chance(0.5);
          let url = path;
          const query = new URLSearchParams();
          for (const parameter of parameters) {
            const schema = parameter.schema as Schema;
            const value = breaking && random.chance(0.3) ? fuzzer.invalid(schema) : fuzzer.valid(schema);
            const text = typeof value === 'string' ? value : JSON.stringify(value);
            if (parameter.in === 'path')
              url = url.replace(`{${parameter.name as string}}`, encodePathSegment(text || 'x'));
            else if (parameter.in === 'query' && (parameter.required || random.chance(0.5)))
              query.set(parameter.name as string, text);
          }
          const headers: Record<string, string> = {};
          const credential = random.next();
          if (credential < 0.8) headers.Authorization = `Bearer ${organization.adminKey}`;
          else if (credential < 0.85) headers['X-API-KEY'] = organization.adminKey;
          else if (credential < 0.9) headers.Authorization = `Bearer ${random.pick(HEADER_SAFE_NASTY)}`;
          let body: string | undefined;
          if (method !== 'GET' && (jsonSchema || (breaking && random.chance(0.2)))) {
            const shape = random.next();
            if (!breaking || shape < 0.5) {
              headers['Content-Type'] = 'application/json';
              body = JSON.stringify(breaking ? fuzzer.invalid(jsonSchema) : fuzzer.valid(jsonSchema));
            } else if (shape < 0.7) {
              headers['Content-Type'] = 'application/json';
              body = random.pick(['{', '{"name":', '[1,2', 'null', '"text"', '', '\u0000', '{"a":1}}']);
            } else if (shape < 0.85) {
              headers['Content-Type'] = random.pick([
                'text/plain',
                'application/xml',
                'multipart/form-data; boundary=x',
              ]);
              body = 'name=x';
            } else {
              body = JSON.stringify(fuzzer.valid(jsonSchema));
            }
          }
          const target = `${url}${query.size > 0 ? `?${query}` : ''}`;
          const before = method === 'GET' ? undefined : await newestEvent();
          const response = await harness.fetch(target, { method, headers, ...(body === undefined ? {} : { body }) });
          sent += 1;
          if (response.ok) answered.accepted += 1;
          else answered.refused += 1;
          const text = await response.text();
          const where = `FUZZ_SEED=${SEED}: ${method} ${target} ${body?.slice(0, 300) ?? ''}`;
          expect(response.status, where).toBeLessThan(500);
          expect(
            harness.validator.problems({
              method,
              path,
              status: response.status,
              headers: response.headers,
              body: text,
            }),
            where,
          ).toEqual([]);
          if (response.status >= 400 && method !== 'GET')
            expect(await newestEvent(), `${where} changed the store`).toBe(before);
          // Keep the fixtures: a successful delete or rotation of a fixture key is put back.
          if (response.ok && (method === 'DELETE' || path.endsWith('/rotate'))) await refill();
        }
      },
    );

    async function refill() {
      const admin = organization.client();
      const { id } = await diga.createKey(admin, { name: 'refill', restricted: false });
      fuzzer.knownIds.push(id);
    }

    it(`sent ${REQUESTS_PER_OPERATION} requests for each of its operations, many accepted and many refused`, () => {
      expect(sent).toBe(operations.length * REQUESTS_PER_OPERATION);
      expect(answered.accepted / sent).toBeGreaterThan(0.2);
      expect(answered.refused / sent).toBeGreaterThan(0.2);
    });
  });
}
