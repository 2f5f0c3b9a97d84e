// Calls the contract does not allow: each must be a compile error in the consumer's project.
import { createKeyplaneClient, diga, kadosei } from '@keyplane/client';

const client = createKeyplaneClient({ baseUrl: 'http://127.0.0.1:3000' });
// @ts-expect-error the discue item path is named by api_key_id
void client.GET('/v1/api_keys/{api_key_id}', { params: { path: { id: 'x' } } });
// @ts-expect-error diga requires `restricted`
void diga.createKey(client, { name: 'x' });
// @ts-expect-error a Kadosei key is created under an application
void kadosei.createKey(client, { name: 'x' });
