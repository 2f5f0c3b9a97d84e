import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './env.js';

/** The largest request body any operation takes. */
const MAX_BODY_BYTES = 64 * 1024;

/** Whether an Accept header admits a JSON answer (every answer keyplane gives is JSON). */
function acceptsJson(accept: string | undefined): boolean {
  if (!accept?.trim()) return true;
  return accept.split(',').some((range) => {
    const [type = '', ...parameters] = range.trim().toLowerCase().split(';');
    const quality = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith('q='));
    if (quality !== undefined && Number(quality.slice(2)) === 0) return false;
    const media = type.trim();
    return media === '*/*' || media === 'application/*' || media === 'application/json' || media.endsWith('+json');
  });
}

/** 406 in the dialect's body when the client accepts no JSON. */
export const negotiate: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!acceptsJson(c.req.header('accept'))) {
    return c.get('renderError')(c, { kind: 'not_acceptable', message: 'This API answers in JSON only.' });
  }
  await next();
};

const tooLarge = (c: Context<AppEnv>) =>
  c.get('renderError')(c, {
    kind: 'payload_too_large',
    message: `The request body is larger than ${MAX_BODY_BYTES / 1024} KiB.`,
  });

/** Counts a chunked body as it arrives; it has no length to check beforehand. */
const limitChunkedBody: MiddlewareHandler<AppEnv> = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });

/**
 * 413 in the dialect's body for a body over the limit, before any of it is parsed. A body of
 * declared length is judged by its header alone: Node's parser never reads past that length
 * into this request's body, and leaving the body unread keeps the request off the slow path of
 * a full Fetch `Request` with a stream. A request with neither header has no body (RFC 9112, 6.3).
 */
export const limitBody: MiddlewareHandler<AppEnv> = (c, next) => {
  if (c.req.header('transfer-encoding') !== undefined) return limitChunkedBody(c, next);
  const length = c.req.header('content-length');
  if (length === undefined) return next();
  return Number.parseInt(length, 10) > MAX_BODY_BYTES ? Promise.resolve(tooLarge(c)) : next();
};

/** How long an answer waits for the rest of a body it did not need. */
const UNREAD_BODY_WAIT_MS = 10_000;

/**
 * Waits for the rest of a body the answer did not need (a wrong key, no such route), so that the
 * connection serves the client's next request. Left unread, @hono/node-server gives such a body
 * half a second and then destroys the connection: on a busy machine, or for a client still sending,
 * that is a reset in the middle of a burst of requests, and the answer may be lost with it. A body
 * over the limit (413) is not waited for, and none longer than 10 s: a client that declares a body
 * and stalls then gets its answer, and loses the connection. In-process requests have no connection.
 */
export function receiveUnreadBody(c: Context): Promise<void> | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined || incoming.complete || incoming.destroyed || c.res.status === 413) return;
  return new Promise((resolve) => {
    const received = () => {
      clearTimeout(deadline);
      incoming.off('end', received).off('close', received).off('error', received);
      resolve();
    };
    const deadline = setTimeout(received, UNREAD_BODY_WAIT_MS);
    incoming.on('end', received).on('close', received).on('error', received);
    incoming.resume();
  });
}
