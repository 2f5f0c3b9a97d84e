import type { Keyplane, Principal } from '@keyplane/core';

/** What every request carries through the middleware chain. */
export interface AppEnv {
  Variables: {
    keyplane: Keyplane;
    requestId: string;
    principal: Principal;
  };
}
