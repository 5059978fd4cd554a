import { threadId, workerData } from 'node:worker_threads';
import { createEntryStore } from '../core/entry-store.js';
import { createGuestbook, type CoreRequest, type CoreResponse } from '../core/guestbook.js';

// Runs inside each piscina thread: its own database pool, its own copy of the core.
export interface ThreadedWorkerData {
  backend: string;
  databaseUrl: string;
  dbPool: number;
}

const data = workerData as ThreadedWorkerData;
const store = createEntryStore(data.databaseUrl, data.dbPool);
const handle = createGuestbook(store, { backend: data.backend, worker: `${process.pid}:${threadId}` });

export default function guestbookTask(req: CoreRequest): Promise<CoreResponse> {
  // Structured clone turns the Buffer into a plain Uint8Array.
  const body = req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) : undefined;
  return handle({ ...req, body });
}
