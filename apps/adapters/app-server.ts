import type { GuestbookHandler, Identity } from '../core/guestbook.js';
import type { ListenAddress } from '../listen.js';
import type { NodeFramework, Protocol } from '../variants.js';

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

// Each process loads only its own framework: loading all three doubled every worker's start-up.
const FRAMEWORKS: Record<NodeFramework, () => Promise<(options: AppServerOptions) => AppServer>> = {
  fastify: async () => (await import('./fastify-app.js')).fastifyAppServer,
  express: async () => (await import('./express-app.js')).expressAppServer,
  'node-http': async () => (await import('./node-http-app.js')).nodeHttpAppServer,
};

export async function createAppServer(framework: NodeFramework, options: AppServerOptions): Promise<AppServer> {
  return (await FRAMEWORKS[framework]())(options);
}
