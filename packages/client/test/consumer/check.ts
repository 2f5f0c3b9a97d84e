// A consumer's program, copied into a project outside the workspace by package.test.ts and
// type-checked there against the installed tarball. It uses every dialect's helpers.
import {
  aerospike,
  createKeyplaneClient,
  type DialectName,
  dialects,
  diga,
  discue,
  KeyplaneRequestError,
  kadosei,
  keyplane,
} from '@keyplane/client';

export async function exercise(baseUrl: string, rootKey: string) {
  const root = createKeyplaneClient({ baseUrl, credential: { apiKey: rootKey } });
  const organization = await keyplane.createOrganization(root, 'consumer');
  const admin = createKeyplaneClient({ baseUrl, credential: { bearer: organization.adminKey.key } });

  const application = await kadosei.defaultApplication(admin);
  const kadoseiKey = await kadosei.createKey(admin, application.id, {
    name: 'kadosei',
    permissions: ['invoices.read'],
  });
  const discueKey = await discue.createKey(admin, { name: 'discue' });
  const digaKey = await diga.createKey(admin, { name: 'diga', restricted: true, permissions: ['calls.view'] });
  const aerospikeKey = await aerospike.createKey(admin, 'aerospike');
  const token = await aerospike.token(admin, aerospikeKey.clientId, aerospikeKey.clientSecret);

  const verified = await keyplane.verifyKey(admin, kadoseiKey.key, ['invoices.read']);
  const rotated = await keyplane.rotateKey(admin, discueKey.id);
  await discue.deleteKey(admin, discueKey.id);
  const afterDelete = await keyplane.verifyKey(admin, rotated.key);
  const missing = await diga.getKey(admin, discueKey.id).catch((error: unknown) => error);
  const events = await keyplane.listAuditEvents(admin, { limit: 5 });
  const names: DialectName[] = Object.keys(dialects) as DialectName[];

  return {
    dialects: names.sort(),
    applicationIsDefault: application.isDefault,
    digaPermissions: (await diga.getKey(admin, digaKey.id)).permissions,
    tokenType: token.token_type,
    verified: verified.code,
    afterDelete: afterDelete.code,
    missingStatus: missing instanceof KeyplaneRequestError ? missing.status : 'not an error',
    auditEvents: events.data.length,
  };
}
