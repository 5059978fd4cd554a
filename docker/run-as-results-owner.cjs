// Preloaded into the clients' Node processes (NODE_OPTIONS=--require, set in docker-compose.yml). A client that
// starts as root (the compose file's default user for clients) gives up root for the owner of its results
// folder before any of the lab's code runs, as `setpriv --reuid=UID --regid=GID --clear-groups` would: the shards
// and reports it writes into the bind-mounted folder then belong to whoever owns that folder on the host, and a
// folder that root owns is written as root. Started as any other user (BENCHLAB_USER), it does nothing.
//
// A preload rather than a shell wrapper: the services' command lines stay `node dist/cli/benchlab.js ...`.
'use strict';
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');

if (isMainThread && typeof process.getuid === 'function' && process.getuid() === 0) {
  const folder = process.env.BENCHLAB_RESULTS_DIR || '/results';
  let owner;
  try {
    owner = fs.statSync(folder);
  } catch {
    owner = undefined; // No folder: the lab's own check reports it; nothing to match.
  }
  if (owner !== undefined && owner.uid !== 0) {
    process.setgroups([owner.gid]);
    process.setgid(owner.gid);
    process.setuid(owner.uid);
  }
}
