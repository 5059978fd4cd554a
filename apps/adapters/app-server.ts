import type { GuestbookHandler, Identity } from '../core/guestbook.js';
import type { ListenAddress } from '../listen.js';
import type { NodeFramework, Protocol } from '../variants.js';
import { expressAppServer } from './express-app.js';
import { fastifyAppServer } from './fastify-app.js';
import { nodeHttpAppServer } from './node-http-app.js';

export interface AppServerOptions {
  protocol: Protocol;
  /** The core, or a thread pool running it. */
  handle: GuestbookHandler;
  /** Identity for answers the framework gives before the core runs (413). */
  identity: Identity;
}

/** A framework bound to a protocol: the part of a variant that parses requests and writes answers. */
export interface AppServer {
  listen(address: ListenAddress, backlog: number): Promise<void>;
  /** Stops accepting, closes idle connections, and resolves once in-flight requests are answered. */
  close(): Promise<void>;
}

const FRAMEWORKS: Record<NodeFramework, (options: AppServerOptions) => AppServer> = {
  fastify: fastifyAppServer,
  express: expressAppServer,
  'node-http': nodeHttpAppServer,
};

export function createAppServer(framework: NodeFramework, options: AppServerOptions): AppServer {
  return FRAMEWORKS[framework](options);
}
