/**
 * The dialects keyplane speaks: one OpenAPI source each in `spec/dialects/<name>.yaml`,
 * whose component names start with `prefix`. keyplane's own comes first and gives the
 * merged document its info. The merge, the server and the client all read this list, so
 * a dialect one of them lacks is a compile error, not a silent gap.
 */
export const DIALECTS = [
  { name: 'keyplane', prefix: 'Keyplane' },
  { name: 'discue', prefix: 'Discue' },
  { name: 'aerospike', prefix: 'Aerospike' },
  { name: 'diga', prefix: 'Diga' },
  { name: 'kadosei', prefix: 'Kadosei' },
] as const;

export type DialectName = (typeof DIALECTS)[number]['name'];

/** The dialect an operation of the merged document belongs to, as the merge marks it. */
export const DIALECT_EXTENSION = 'x-keyplane-dialect';
