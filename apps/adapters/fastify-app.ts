import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { CoreResponse, GuestbookHandler, Identity } from '../core/guestbook.js';
import { errorResponse } from '../core/guestbook.js';
import { MAX_FORM_BYTES } from '../core/limits.js';

export interface FastifyAppOptions {
  handle: GuestbookHandler;
  /** Identity for answers the framework gives before the core runs (413). */
  identity: Identity;
  serverFactory?: FastifyServerFactory;
}

// Longer than nginx's upstream keepalive_timeout (4 s in nginx/*.template): if the app closed idle
// kept connections first, nginx could send a request on a socket being closed and answer 502.
export const KEEP_ALIVE_TIMEOUT_MS = 75_000;

function send(reply: import('fastify').FastifyReply, res: CoreResponse): void {
  reply.code(res.status).headers(res.headers).send(res.body);
}

/** A fastify app that hands every request, raw body included, to the core. */
export function buildFastifyApp(options: FastifyAppOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_FORM_BYTES,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  });

  // The core checks the media type itself (415), so every body arrives as raw bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    send(reply, errorResponse(options.identity, status, err.message));
  });
  app.setNotFoundHandler(async (req, reply) => {
    send(reply, errorResponse(options.identity, 405, `${req.method} is not allowed`));
  });

  app.all('*', async (req, reply) => {
    const url = req.url;
    const q = url.indexOf('?');
    const res = await options.handle({
      method: req.method,
      path: q < 0 ? url : url.slice(0, q),
      cookie: req.headers.cookie,
      contentType: req.headers['content-type'],
      body: Buffer.isBuffer(req.body) ? req.body : undefined,
    });
    send(reply, res);
  });
  return app;
}
