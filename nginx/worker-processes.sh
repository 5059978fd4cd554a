#!/bin/sh
# For the official nginx image: its entrypoint runs this from /docker-entrypoint.d/ before nginx
# starts. The image's nginx.conf says `worker_processes auto` (one worker per CPU the container
# sees); the native lab runs --nginx-workers (default 1). This sets NGINX_WORKERS instead, so a
# container's nginx has the lab's worker count. NGINX_MAIN_CONF names another file, for tests.
set -eu
conf="${NGINX_MAIN_CONF:-/etc/nginx/nginx.conf}"
workers="${NGINX_WORKERS:-1}"
case "$workers" in
  *[!0-9]* | 0*)
    echo "$0: NGINX_WORKERS must be a whole number from 1 (got '$workers')" >&2
    exit 1
    ;;
esac
if ! grep -q '^[[:space:]]*worker_processes[[:space:]]' "$conf"; then
  echo "$0: no worker_processes line in $conf to set" >&2
  exit 1
fi
sed -i "s/^\([[:space:]]*\)worker_processes[[:space:]][^;]*;/\1worker_processes $workers;/" "$conf"
echo "$0: worker_processes $workers in $conf"
