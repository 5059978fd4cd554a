import express, { type NextFunction, type Request, type Response } from 'express';
import { errorResponse } from '../core/guestbook.js';
import { MAX_FORM_BYTES } from '../core/limits.js';
import { closeServer, listenServer, nodeServer, writeCoreResponse } from './node-server.js';
import type { AppServer, AppServerOptions } from './app-server.js';

/** express 5, on node:http or on node-fastcgi's http-compatible request/response pair. */
export function expressAppServer(options: AppServerOptions): AppServer {
  const { handle, identity } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Raw bytes for every media type: the core answers 415 itself, and does its own strict parsing.
  app.use(express.raw({ type: () => true, limit: MAX_FORM_BYTES, inflate: false }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    handle({
      method: req.method,
      path: req.path,
      cookie: req.headers.cookie,
      contentType: req.headers['content-type'],
      body: Buffer.isBuffer(req.body) ? req.body : undefined,
    }).then((response) => writeCoreResponse(res, response), next);
  });
  app.use((err: { status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    writeCoreResponse(res, errorResponse(identity, status, err.message ?? 'error'));
  });
  const server = nodeServer(options.protocol, app, identity);
  return {
    listen: (address, backlog) => listenServer(server, address, backlog),
    close: () => closeServer(server),
  };
}
