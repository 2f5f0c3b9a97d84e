import type { ApiKey, Keyplane, Principal, Result } from '@keyplane/core';
import { ok } from '@keyplane/core';

/** Keys read at a time when a whole list is asked for. */
const PAGE_SIZE = 250;

const nextTurnOfTheEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Every key of the organization, oldest first, as `listKeys` answers, read a page at a time
 * with a turn of the event loop between pages. One read of an organization's whole quota
 * would hold the event loop for as long as it takes (the embedded store reads on it); in
 * pages, the other requests are answered between them.
 */
export async function listEveryKey(keyplane: Keyplane, principal: Principal): Promise<Result<ApiKey[]>> {
  const keys: ApiKey[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await keyplane.listKeyPage(principal, {
      order: 'asc',
      limit: PAGE_SIZE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (!page.ok) return page;
    keys.push(...page.value.keys);
    if (page.value.nextCursor === null) return ok(keys);
    cursor = page.value.nextCursor;
    await nextTurnOfTheEventLoop();
  }
}
