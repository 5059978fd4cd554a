import fs from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from 'fastify';
import type { CoreRequest, CoreResponse } from '../core/guestbook.js';
import { errorResponse } from '../core/guestbook.js';
import { MAX_FORM_BYTES } from '../core/limits.js';
import { answerClientError } from './client-error.js';
import { closeConnectionsWhenAnswered } from './close-when-answered.js';
import { createFastcgiServer } from './fastcgi-server.js';
import { KEEP_ALIVE_TIMEOUT_MS } from './node-server.js';
import type { AppServer, AppServerOptions } from './app-server.js';

const fastcgiServerFactory: FastifyServerFactory = (handler) => createFastcgiServer(handler);

function send(reply: FastifyReply, res: CoreResponse): void {
  reply.code(res.status).headers(res.headers).send(res.body);
}

function coreRequest(req: FastifyRequest): CoreRequest {
  const url = req.url;
  const q = url.indexOf('?');
  return {
    method: req.method,
    path: q < 0 ? url : url.slice(0, q),
    cookie: req.headers.cookie,
    contentType: req.headers['content-type'],
    body: Buffer.isBuffer(req.body) ? req.body : undefined,
  };
}

/** A fastify app that hands every request, raw body included, to the core. */
export function buildFastifyApp(options: AppServerOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_FORM_BYTES,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    clientErrorHandler: answerClientError(options.identity),
    // A URL fastify cannot decode (/%zz) gets the contract's 400 page instead of fastify's JSON.
    frameworkErrors: (err, _req, reply) => send(reply, errorResponse(options.identity, 400, err.message)),
    // node-fastcgi hands out http.IncomingMessage/ServerResponse pairs, so fastify runs on it unchanged.
    ...(options.protocol === 'fastcgi' ? { serverFactory: fastcgiServerFactory } : {}),
  });

  // FastCGI connections are closed when answered by the server itself (fastcgi-server.ts).
  if (options.protocol === 'http') closeConnectionsWhenAnswered(app.server);

  // The core checks the media type itself (415), so every body arrives as raw bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler(async (err: { statusCode?: number; code?: string; message: string }, req, reply) => {
    // fastify routes no method it does not know (FOO over FastCGI): the core answers it, 405 on / and 404 elsewhere.
    if (err.code === 'FST_ERR_NOT_FOUND') return send(reply, await options.handle(coreRequest(req)));
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    send(reply, errorResponse(options.identity, status, err.message));
  });
  app.setNotFoundHandler(async (req, reply) => {
    send(reply, errorResponse(options.identity, 405, `${req.method} is not allowed`));
  });

  app.all('*', async (req, reply) => {
    send(reply, await options.handle(coreRequest(req)));
  });
  return app;
}

export function fastifyAppServer(options: AppServerOptions): AppServer {
  const app = buildFastifyApp(options);
  return {
    async listen(address, backlog) {
      if ('path' in address) {
        await app.listen({ path: address.path, backlog });
        // nginx's workers run as another user.
        fs.chmodSync(address.path, 0o777);
      } else {
        await app.listen({ host: address.host, port: address.port, backlog });
      }
    },
    close: () => app.close(),
  };
}
