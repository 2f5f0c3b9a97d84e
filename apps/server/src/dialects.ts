import type { DialectName } from '@keyplane/contract';
import type { Dialect } from './http/dialect.js';
import type { Operation } from './http/operation.js';
import { aerospikeDialect } from './routes/aerospike/index.js';
import { digaDialect } from './routes/diga/index.js';
import { discueDialect } from './routes/discue/index.js';
import { kadoseiDialect } from './routes/kadosei/index.js';
import { keyplaneDialect } from './routes/keyplane/index.js';

/**
 * Every dialect of the contract (`DIALECTS` in @keyplane/contract) with its renderer and
 * operations: a dialect the contract names and the server lacks does not compile.
 */
export const SERVED_DIALECTS: Readonly<Record<DialectName, { dialect: Dialect; operations: readonly Operation[] }>> = {
  keyplane: keyplaneDialect,
  discue: discueDialect,
  aerospike: aerospikeDialect,
  diga: digaDialect,
  kadosei: kadoseiDialect,
};
