// An nginx that answers the scenario from memory (GET / the page with a token and cookie, POST / a
// 302 back), so a load tool against it measures itself and nginx, never an app or a database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { guestbookPage } from '../apps/core/page.js';
import type { Entry } from '../apps/core/page.js';
import { postMarker } from '../client/post-marker.js';
import { findNginx, nginxPaths, renderTemplate } from '../lab/stack/nginx.js';
import { nginxTemplateDir } from '../lab/paths.js';
import { freePort } from '../lab/stack/ports.js';
import { startProcess, waitFor } from '../lab/stack/service.js';
import type { ManagedProcess } from '../lab/stack/service.js';

export const STATIC_BACKEND = 'static';
const TOKEN = 'b3f1c0ffee5eed0123456789abcdef01';
const PAGE_ENTRIES = 20;
const READY_TIMEOUT_MS = 10_000;

export interface StaticTarget {
  url: string;
  /** Master and worker share this group. */
  process: ManagedProcess;
  /** Bytes of the page GET / answers. */
  pageBytes: number;
  stop(): Promise<void>;
}

/** The page a fresh user sees with a full list: the same template as the app, 20 marker-like entries. */
export function staticPage(): string {
  const entries: Entry[] = [];
  for (let i = 0; i < PAGE_ENTRIES; i++) {
    entries.push({ id: 1000 - i, body: postMarker('static', 1000 - i), createdAt: new Date(Date.UTC(2024, 0, 1, 12, 0, i)) });
  }
  return guestbookPage(entries, TOKEN);
}

// A single-quoted nginx string; `$` would start a variable in `return`'s text, and the page has none.
function nginxString(text: string): string {
  if (text.includes('$')) throw new Error('the static page must not contain "$"');
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function staticSiteConf(listen: string, page: string): string {
  return `# The scenario answered from memory, for measuring load tools (bench/).
server {
    listen ${listen} backlog=4096;
    access_log off;
    keepalive_requests 100000;
    absolute_redirect off;

    location = / {
        default_type 'text/html; charset=utf-8';
        add_header X-Backend ${STATIC_BACKEND} always;
        add_header X-Worker $pid always;
        add_header Set-Cookie 'csrftoken=${TOKEN}; Path=/; SameSite=Lax; HttpOnly';
        if ($request_method = POST) {
            return 302 /;
        }
        return 200 ${nginxString(page)};
    }
}
`;
}

export interface StaticTargetOptions {
  /** taskset list for nginx. */
  cpus?: string | undefined;
  /** Where nginx's prefix is made (and removed on stop); the system's temp dir by default. */
  workDir?: string;
}

/** Starts nginx with one worker on `cpus`, answering the scenario statically. */
export async function startStaticTarget(options: StaticTargetOptions = {}): Promise<StaticTarget> {
  const binary = findNginx();
  const prefix = fs.mkdtempSync(path.join(options.workDir ?? os.tmpdir(), 'benchlab-static-'));
  const paths = nginxPaths(prefix);
  const port = await freePort();
  const page = staticPage();
  let nginx: ManagedProcess | undefined;
  try {
    for (const dir of [path.join(prefix, 'logs'), ...paths.tempDirs]) fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(prefix, 0o755);
    fs.chmodSync(path.join(prefix, 'tmp'), 0o755);
    const main = renderTemplate(fs.readFileSync(path.join(nginxTemplateDir, 'main.conf.template'), 'utf8'), {
      NGINX_PREFIX: prefix,
      NGINX_WORKERS: 1,
      NGINX_SITE: paths.siteConf,
    });
    fs.writeFileSync(paths.mainConf, main);
    fs.writeFileSync(paths.siteConf, staticSiteConf(`127.0.0.1:${port}`, page));
    nginx = await startProcess({
      name: 'nginx (static)',
      command: binary,
      args: ['-p', `${prefix}/`, '-c', paths.mainConf, '-e', paths.errorLog, '-g', 'daemon off;'],
      ...(options.cpus !== undefined ? { cpus: options.cpus } : {}),
      logFile: paths.outputLog,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return res.status === 200;
      },
      {
        timeoutMs: READY_TIMEOUT_MS,
        intervalMs: 50,
        what: `static nginx on ${url}`,
        process: nginx,
      },
    );
    const running = nginx;
    let stopping: Promise<void> | undefined;
    return {
      url,
      process: running,
      pageBytes: Buffer.byteLength(page),
      stop() {
        stopping ??= running.stop().then(() => fs.rmSync(prefix, { recursive: true, force: true }));
        return stopping;
      },
    };
  } catch (error) {
    await nginx?.stop();
    fs.rmSync(prefix, { recursive: true, force: true });
    throw error;
  }
}
