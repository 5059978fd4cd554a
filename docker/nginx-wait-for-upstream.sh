#!/bin/sh
# For the nginx image's entrypoint (mounted into /docker-entrypoint.d/ by docker-compose.yml): waits until the
# app's name in APP_UPSTREAM (host:port) resolves, so nginx does not stop at once with "host not found in
# upstream" when it starts before its app. Compose starts the app first, so this passes at once there; on a
# Swarm with endpoint_mode dnsrr a service's name resolves only once one of its tasks runs, and the app and
# nginx tasks start in any order. After NGINX_UPSTREAM_WAIT seconds (default 120) nginx starts anyway and the
# restart policy takes over.
set -eu
upstream="${APP_UPSTREAM:-}"
case "$upstream" in
  "" | unix:*) exit 0 ;;
esac
host="${upstream%:*}"
host="${host#[}"
host="${host%]}"
wait="${NGINX_UPSTREAM_WAIT:-120}"
case "$wait" in
  *[!0-9]* | "") echo "$0: NGINX_UPSTREAM_WAIT must be whole seconds (got '$wait')" >&2; exit 1 ;;
esac
waited=0
until getent hosts "$host" >/dev/null 2>&1; do
  if [ "$waited" -ge "$wait" ]; then
    echo "$0: $host does not resolve after $wait s; starting nginx anyway"
    exit 0
  fi
  if [ "$waited" = 0 ]; then echo "$0: waiting for $host to resolve"; fi
  sleep 1
  waited=$((waited + 1))
done
echo "$0: $host resolves$([ "$waited" = 0 ] || echo " after $waited s")"
