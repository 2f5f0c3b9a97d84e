export { type KeyplaneEnv, type KeyplaneVariables, keyplaneAuth } from './hono.js';
export {
  createVerifier,
  type KeyplaneAuthOptions,
  protect,
  type Verdict,
  type VerifiedKey,
  verifyRequest,
} from './verify.js';
