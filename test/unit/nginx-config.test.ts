import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { nginxConfigFor, parseAccessLog, renderTemplate } from '../../lab/stack/nginx.js';
import { nginxTemplateDir } from '../../lab/paths.js';

const prefix = '/tmp/benchlab-nginx-test';

test('renderTemplate fills every ${NAME} and leaves nginx variables alone', () => {
  const text = 'listen ${PORT}; set $x $request_time; server ${HOST}:${PORT};';
  assert.equal(renderTemplate(text, { PORT: 8080, HOST: 'a' }), 'listen 8080; set $x $request_time; server a:8080;');
});

test('renderTemplate names each placeholder that has no value', () => {
  assert.throws(() => renderTemplate('a ${ONE} b ${TWO} c ${ONE}', {}), /ONE, TWO/);
  assert.throws(
    () => renderTemplate('${KNOWN} ${UNKNOWN}', { KNOWN: 1 }),
    (error: Error) => {
      assert.match(error.message, /UNKNOWN/);
      assert.doesNotMatch(error.message, /KNOWN,/);
      return true;
    },
  );
});

test('the templates write nginx variables without braces, so envsubst cannot touch them', () => {
  for (const file of fs.readdirSync(nginxTemplateDir).filter((name) => name.endsWith('.template'))) {
    const text = fs.readFileSync(path.join(nginxTemplateDir, file), 'utf8');
    for (const [, name] of text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)) {
      assert.match(name!, /^[A-Z][A-Z0-9_]*$/, `${file}: \${${name}} looks like an nginx variable`);
    }
  }
});

for (const protocol of ['http', 'fastcgi'] as const) {
  test(`nginxConfigFor(${protocol}) keeps every path in the prefix`, () => {
    const { mainConf, siteConf } = nginxConfigFor({
      protocol,
      upstream: { host: '127.0.0.1', port: 3001 },
      listen: { host: '127.0.0.1', port: 8081 },
      prefix,
      workers: 2,
      keepalive: 32,
    });
    assert.doesNotMatch(mainConf + siteConf, /\$\{/);
    assert.match(mainConf, new RegExp(`^pid ${prefix}/nginx\\.pid;`, 'm'));
    assert.match(mainConf, new RegExp(`^error_log ${prefix}/logs/error\\.log warn;`, 'm'));
    assert.match(mainConf, /^worker_processes 2;/m);
    for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
      assert.match(mainConf, new RegExp(`${temp}_temp_path ${prefix}/tmp/${temp};`));
    }
    assert.match(mainConf, new RegExp(`include ${prefix}/site\\.conf;`));
    assert.match(siteConf, new RegExp(`access_log ${prefix}/logs/access\\.log benchlab;`));
    assert.match(siteConf, /listen 127\.0\.0\.1:8081 backlog=511;/);
    assert.match(siteConf, /server 127\.0\.0\.1:3001;/);
    assert.match(siteConf, /keepalive 32;/);
    assert.match(siteConf, /log_format benchlab '.*rt=\$request_time urt=\$upstream_response_time uct=\$upstream_connect_time ck=\$benchlab_cookie';/);
    assert.match(siteConf, /client_max_body_size 64k;/);
  });
}

test('nginxConfigFor(http) proxies with HTTP/1.1 keepalive', () => {
  const { siteConf } = nginxConfigFor({
    protocol: 'http',
    upstream: { path: '/run/app.sock' },
    listen: { host: '::1', port: 80 },
    prefix,
    workers: 'auto',
    keepalive: 8,
  });
  assert.match(siteConf, /server unix:\/run\/app\.sock;/);
  assert.match(siteConf, /listen \[::1\]:80 backlog=511;/);
  assert.match(siteConf, /proxy_pass http:\/\/app;/);
  assert.match(siteConf, /proxy_http_version 1\.1;/);
  assert.match(siteConf, /proxy_set_header Connection "";/);
  assert.match(siteConf, /proxy_set_header Host \$host;/);
  assert.doesNotMatch(siteConf, /fastcgi_pass/);
});

test('nginxConfigFor(fastcgi) keeps the connection and sends the params inline', () => {
  const { siteConf } = nginxConfigFor({
    protocol: 'fastcgi',
    upstream: { host: '127.0.0.1', port: 9000 },
    listen: { host: '127.0.0.1', port: 80 },
    prefix,
    workers: 1,
    keepalive: 8,
  });
  assert.match(siteConf, /fastcgi_pass app;/);
  assert.match(siteConf, /fastcgi_keep_conn on;/);
  assert.doesNotMatch(siteConf, /include\s+fastcgi_params/);
  for (const param of [
    'QUERY_STRING',
    'REQUEST_METHOD',
    'CONTENT_TYPE',
    'CONTENT_LENGTH',
    'SCRIPT_NAME',
    'REQUEST_URI',
    'DOCUMENT_URI',
    'DOCUMENT_ROOT',
    'SERVER_PROTOCOL',
    'REQUEST_SCHEME',
    'GATEWAY_INTERFACE',
    'SERVER_SOFTWARE',
    'REMOTE_ADDR',
    'REMOTE_PORT',
    'SERVER_ADDR',
    'SERVER_PORT',
    'SERVER_NAME',
    'REDIRECT_STATUS',
  ]) {
    assert.match(siteConf, new RegExp(`fastcgi_param ${param} `), param);
  }
  assert.match(siteConf, /fastcgi_param HTTPS \$https if_not_empty;/);
});

test('nginxConfigFor rejects worker and keepalive counts nginx would refuse', () => {
  const base = { protocol: 'http' as const, upstream: { host: '127.0.0.1', port: 1 }, listen: { host: '127.0.0.1', port: 2 }, prefix };
  assert.throws(() => nginxConfigFor({ ...base, workers: 0, keepalive: 1 }), { code: 'BL_ERR_OPTION' });
  assert.throws(() => nginxConfigFor({ ...base, workers: 1, keepalive: -1 }), { code: 'BL_ERR_OPTION' });
});

test('upstream keepalive 0 removes the pool and, for FastCGI, kept connections', () => {
  const base = { upstream: { host: '127.0.0.1', port: 1 }, listen: { host: '127.0.0.1', port: 2 }, prefix, workers: 1 };
  for (const protocol of ['http', 'fastcgi'] as const) {
    const off = nginxConfigFor({ ...base, protocol, keepalive: 0 }).siteConf;
    const upstream = /upstream app \{[^}]*\}/.exec(off)![0];
    assert.doesNotMatch(upstream, /keepalive/, `${protocol}: no keepalive in the upstream block`);
    assert.match(off, /keepalive_requests 100000;/, `${protocol}: the client side keeps its setting`);
    if (protocol === 'fastcgi') assert.match(off, /fastcgi_keep_conn off;/);
    assert.match(nginxConfigFor({ ...base, protocol, keepalive: 8 }).siteConf, /keepalive 8;/);
  }
});

test('parseAccessLog reads status, method, path and both times', () => {
  const log = [
    '127.0.0.1 [29/Nov/2025:17:44:00 +0000] "GET /?a=1 HTTP/1.1" 200 512 rt=0.003 urt=0.002 uct=0.000 ck=1',
    '127.0.0.1 [29/Nov/2025:17:44:00 +0000] "POST / HTTP/1.1" 502 157 rt=1.250 urt=0.500, 0.750 uct=0.001, 0.001 ck=0',
    '127.0.0.1 [29/Nov/2025:17:44:01 +0000] "GARBAGE" 400 0 rt=0.000 urt=- uct=-',
    'not a log line',
    '',
  ].join('\n');
  assert.deepEqual(parseAccessLog(log), [
    { status: 200, method: 'GET', path: '/?a=1', requestTimeMs: 3, upstreamTimeMs: 2, upstreamConnectMs: 0, hadCookie: true },
    { status: 502, method: 'POST', path: '/', requestTimeMs: 1250, upstreamTimeMs: 1250, upstreamConnectMs: 2, hadCookie: false },
    { status: 400, method: 'GARBAGE', path: '', requestTimeMs: 0, upstreamTimeMs: null, upstreamConnectMs: null, hadCookie: null },
  ]);
});

test('nginx is sized from the load: two connections per user that may be in flight, a backlog for as many connects', async () => {
  const { nginxLimitsFor } = await import('../../lab/stack/nginx-limits.js');
  assert.deepEqual(nginxLimitsFor(4000, {}, 4096), { connections: 8512, backlog: 4000, source: { connections: 'load', backlog: 'load' } });
  assert.deepEqual(nginxLimitsFor(20_000, {}, 4096), {
    connections: 40_512,
    backlog: 4096,
    backlogCappedAt: 4096,
    source: { connections: 'load', backlog: 'load' },
  });
  assert.equal(nginxLimitsFor(10, {}, 4096).connections, 1024, 'never below 1024');
  assert.equal(nginxLimitsFor(10, {}, 4096).backlog, 511, "never below nginx's own default");
  assert.deepEqual(nginxLimitsFor(4000, { connections: 100, backlog: 64 }, 4096), {
    connections: 100,
    backlog: 64,
    source: { connections: 'option', backlog: 'option' },
  });
  const { mainConf, siteConf } = nginxConfigFor({
    protocol: 'http',
    upstream: { host: '127.0.0.1', port: 9000 },
    listen: { host: '127.0.0.1', port: 8081 },
    prefix: '/tmp/p',
    workers: 1,
    keepalive: 32,
    limits: nginxLimitsFor(4000, {}, 4096),
  });
  assert.match(mainConf, /worker_connections 8512;/);
  assert.match(mainConf, /worker_rlimit_nofile 8768;/);
  assert.match(siteConf, /listen 127\.0\.0\.1:8081 backlog=4000;/);
});
