#!/usr/bin/env bash
# Installs the system parts the lab and its tests need (Debian/Ubuntu, as root):
# nginx, cgi-fcgi (a plain FastCGI client for tests), gunicorn with PyMySQL (the reference variant),
# and MariaDB only when no server answers on
# 127.0.0.1:3306. Safe to run again. `npm run setup` runs it.
set -euo pipefail

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v cgi-fcgi >/dev/null 2>&1 || need+=(libfcgi-bin)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
# The browser test opens report.html in Debian's chromium (driven by playwright-core, which downloads nothing).
[ -x /usr/bin/chromium ] || need+=(chromium)
# Validates docker-compose.yml in the tests; without its recommends it pulls in no Docker engine.
bare=()
command -v docker-compose >/dev/null 2>&1 || bare+=(docker-compose)
# The foreign reference variant ref-gunicorn: Debian's gunicorn runs on the system python3.
command -v gunicorn >/dev/null 2>&1 || need+=(gunicorn)
/usr/bin/python3 -c 'import pymysql' >/dev/null 2>&1 || need+=(python3-pymysql)
if [ "${BENCHLAB_SETUP_BENCH:-0}" = 1 ]; then
  command -v ab >/dev/null 2>&1 || need+=(apache2-utils)
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
fi

db_answers() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }
if ! db_answers && ! command -v mariadbd >/dev/null 2>&1 && ! [ -x /usr/sbin/mariadbd ] && ! [ -x /usr/sbin/mysqld ]; then
  need+=(mariadb-server)
fi

if [ "$((${#need[@]} + ${#bare[@]}))" -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "benchlab setup: please install: ${need[*]} ${bare[*]} (needs root and apt-get)" >&2
    exit 2
  fi
  echo "benchlab setup: installing ${need[*]} ${bare[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if [ "${#need[@]}" -gt 0 ]; then apt-get install -y -qq "${need[@]}" >/dev/null; fi
  if [ "${#bare[@]}" -gt 0 ]; then apt-get install -y -qq --no-install-recommends "${bare[@]}" >/dev/null; fi
fi

# A test run wants a MariaDB on 127.0.0.1:3306; start the system's when it is installed but stopped.
if [ "${BENCHLAB_SETUP_START_DB:-0}" = 1 ] && ! db_answers; then
  echo "benchlab setup: starting mariadbd"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql --bind-address=127.0.0.1
  for _ in $(seq 1 60); do db_answers && break; sleep 0.5; done
  db_answers || { echo "benchlab setup: mariadbd did not come up on 127.0.0.1:3306" >&2; exit 1; }
  # Debian's root uses unix_socket auth; the lab connects over TCP as root without a password.
  mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket" 2>/dev/null || true
fi
echo "benchlab setup: nginx $(nginx -v 2>&1 | sed 's/.*\///'), database on 3306: $(db_answers && echo answers || echo 'none (the lab will start a private one)')"
