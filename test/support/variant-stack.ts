import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath } from '../../lab/paths.js';
import { freePort } from '../../lab/ports.js';
import { startNginx, type NginxServer } from '../../lab/nginx.js';
import { startProcess, waitFor, type ManagedProcess } from '../../lab/service.js';
import { findVariant } from '../../apps/variants.js';

export interface VariantStack {
  /** nginx in front of the variant. */
  url: string;
  appPort: number;
  app: ManagedProcess;
  nginx: NginxServer;
  dir: string;
  stop(): Promise<void>;
}

/** Starts one variant with `benchlab serve`, as the lab does, and a real nginx in front of it. */
export async function startVariantStack(name: string, databaseUrl: string, extraArgs: string[] = []): Promise<VariantStack> {
  const variant = findVariant(name);
  if (!variant) throw new Error(`no variant ${name}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `benchlab-test-${name}-`));
  const appPort = await freePort();
  const app = await startProcess({
    name,
    command: process.execPath,
    args: [cliPath, 'serve', '--variant', name, '--listen', `127.0.0.1:${appPort}`, '--database', databaseUrl, '--workers', '2', '--threads', '2', ...extraArgs],
    logFile: path.join(dir, 'app.log'),
  });
  let nginx: NginxServer | undefined;
  try {
    nginx = await startNginx({
      protocol: variant.protocol,
      upstream: { host: '127.0.0.1', port: appPort },
      listen: { host: '127.0.0.1', port: await freePort() },
      workers: 1,
      keepalive: 16,
      prefix: path.join(dir, 'nginx'),
    });
    const url = nginx.url;
    await waitFor(async () => (await fetch(`${url}/healthz`)).status === 200, { timeoutMs: 20_000, intervalMs: 100, what: `${name} /healthz`, process: app });
  } catch (error) {
    await nginx?.stop();
    await app.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const proxy = nginx;
  return {
    url: proxy.url,
    appPort,
    app,
    nginx: proxy,
    dir,
    async stop() {
      await proxy.stop();
      await app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
