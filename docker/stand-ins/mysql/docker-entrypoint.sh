#!/bin/bash
# Entrypoint of the MySQL stand-in (Debian's MariaDB), following the official mysql image's: arguments that
# start with "-" are options for mysqld; on an empty data directory it creates the system tables, starts a
# temporary server on its socket only (so a TCP healthcheck does not pass early), sets root's password
# (MYSQL_ROOT_PASSWORD, empty with MYSQL_ALLOW_EMPTY_PASSWORD, generated with MYSQL_RANDOM_ROOT_PASSWORD) for
# root@localhost and root@MYSQL_ROOT_HOST (default %), creates MYSQL_DATABASE and MYSQL_USER/MYSQL_PASSWORD,
# runs /docker-entrypoint-initdb.d/*.sh and *.sql, stops the temporary server and starts the real one.
# Started as root, it runs the server as the mysql user.
set -eo pipefail

log() { printf '%s [%s] [Entrypoint]: %s\n' "$(date -u +%FT%TZ)" "$1" "$2"; }
note() { log Note "$*"; }
warn() { log Warn "$*" >&2; }
die() { log ERROR "$*" >&2; exit 1; }

# A value of mysqld's configuration (datadir, socket) with these arguments.
config_value() {
  local name="$1"; shift
  # awk reads to the end: mysqld must not die of SIGPIPE under pipefail.
  "$@" --verbose --help 2>/dev/null | awk -v name="$name" '/^Variables / { vars = 1 } vars && $1 == name && !found { print $2; found = 1 }' || true
}

wants_help() {
  local arg
  for arg; do
    case "$arg" in -'?' | --help | --print-defaults | -V | --version) return 0 ;; esac
  done
  return 1
}

sql() {
  # Over the socket, as root; the password once it is set.
  local args=(--protocol=socket --socket="$SOCKET" -uroot)
  if [ "${1:-}" != --no-password ] && [ -n "${MYSQL_ROOT_PASSWORD:-}" ]; then
    args+=(--password="$MYSQL_ROOT_PASSWORD")
  fi
  [ "${1:-}" != --no-password ] || shift
  mariadb "${args[@]}" "$@"
}

sql_escape() { printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g"; }

if [ "${1:0:1}" = - ]; then
  set -- mysqld "$@"
fi

if { [ "$1" = mysqld ] || [ "$1" = mariadbd ]; } && ! wants_help "$@"; then
  DATADIR="$(config_value datadir "$@")"
  SOCKET="$(config_value socket "$@")"
  DATADIR="${DATADIR%/}"
  [ -n "$DATADIR" ] && [ -n "$SOCKET" ] || die "mysqld does not start with these options: $*"

  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
    chown mysql:mysql "$DATADIR" "$(dirname "$SOCKET")"
    note "Switching to dedicated user 'mysql'"
    exec setpriv --reuid=mysql --regid=mysql --init-groups "$BASH_SOURCE" "$@"
  fi

  if [ ! -d "$DATADIR/mysql" ]; then
    if [ -z "${MYSQL_ROOT_PASSWORD:-}" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ] && [ -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
      die "Database is uninitialized and password option is not specified
    You need to specify one of the following as an environment variable:
    - MYSQL_ROOT_PASSWORD
    - MYSQL_ALLOW_EMPTY_PASSWORD
    - MYSQL_RANDOM_ROOT_PASSWORD"
    fi
    [ "${MYSQL_USER:-}" != root ] || die 'MYSQL_USER="root" cannot be used for the root user: use MYSQL_ROOT_PASSWORD'

    note "Initializing database files"
    mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
      --skip-test-db --skip-name-resolve --rpm >/dev/null
    note "Database files initialized"

    note "Starting temporary server"
    "$@" --skip-networking --socket="$SOCKET" &
    temp_pid=$!
    # Stopped while setting up (compose stopping the stack early): stop the temporary server, not wait to be killed.
    trap 'kill -TERM "$temp_pid" 2>/dev/null; wait "$temp_pid"; exit 143' TERM INT
    for _ in $(seq 60); do
      if mysqladmin --protocol=socket --socket="$SOCKET" -uroot ping --silent >/dev/null 2>&1; then break; fi
      kill -0 "$temp_pid" 2>/dev/null || die "Unable to start the temporary server"
      sleep 1
    done
    mysqladmin --protocol=socket --socket="$SOCKET" -uroot ping --silent >/dev/null 2>&1 || die "The temporary server did not answer"
    note "Temporary server started."

    if [ -z "${MYSQL_INITDB_SKIP_TZINFO:-}" ] && [ -d /usr/share/zoneinfo ]; then
      mariadb-tzinfo-to-sql /usr/share/zoneinfo 2>/dev/null | sql --no-password --database=mysql
    fi
    if [ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
      MYSQL_ROOT_PASSWORD="$(head -c 18 /dev/urandom | base64)"
      export MYSQL_ROOT_PASSWORD
      note "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
    fi
    password="$(sql_escape "${MYSQL_ROOT_PASSWORD:-}")"
    root_host="${MYSQL_ROOT_HOST:-%}"
    root_create=""
    if [ "$root_host" != localhost ]; then
      root_create="CREATE USER IF NOT EXISTS 'root'@'$(sql_escape "$root_host")' IDENTIFIED BY '$password';
        GRANT ALL ON *.* TO 'root'@'$(sql_escape "$root_host")' WITH GRANT OPTION;"
    fi
    # The install may leave root@127.0.0.1, root@::1, root@<hostname> and anonymous users; root comes in as
    # root@localhost (socket) and root@MYSQL_ROOT_HOST only, and no anonymous user shadows root@%.
    sql --no-password --database=mysql <<-EOSQL
	SET autocommit = 1;
	SET @@SESSION.SQL_LOG_BIN = 0;
	DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'$(sql_escape "$(hostname)")', ''@'localhost', ''@'$(sql_escape "$(hostname)")';
	ALTER USER 'root'@'localhost' IDENTIFIED BY '$password';
	GRANT ALL ON *.* TO 'root'@'localhost' WITH GRANT OPTION;
	$root_create
	DROP DATABASE IF EXISTS test;
	FLUSH PRIVILEGES;
	EOSQL

    if [ -n "${MYSQL_DATABASE:-}" ]; then
      note "Creating database $MYSQL_DATABASE"
      sql <<<"CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
    fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      note "Creating user $MYSQL_USER"
      sql <<<"CREATE USER '$(sql_escape "$MYSQL_USER")'@'%' IDENTIFIED BY '$(sql_escape "$MYSQL_PASSWORD")';"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        note "Giving user $MYSQL_USER access to schema $MYSQL_DATABASE"
        sql <<<"GRANT ALL ON \`${MYSQL_DATABASE//_/\\_}\`.* TO '$(sql_escape "$MYSQL_USER")'@'%';"
      fi
    elif [ -n "${MYSQL_USER:-}${MYSQL_PASSWORD:-}" ]; then
      warn "MYSQL_USER and MYSQL_PASSWORD go together; no user created"
    fi

    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sh) note "$0: running $f"; . "$f" ;;
        *.sql) note "$0: running $f"; sql ${MYSQL_DATABASE:+--database="$MYSQL_DATABASE"} <"$f" ;;
        *.sql.gz) note "$0: running $f"; gunzip -c "$f" | sql ${MYSQL_DATABASE:+--database="$MYSQL_DATABASE"} ;;
        *) [ ! -e "$f" ] || note "$0: ignoring $f" ;;
      esac
    done

    note "Stopping temporary server"
    if ! mysqladmin --protocol=socket --socket="$SOCKET" -uroot ${MYSQL_ROOT_PASSWORD:+--password="$MYSQL_ROOT_PASSWORD"} shutdown; then
      die "Unable to shut down the temporary server"
    fi
    wait "$temp_pid" || true
    trap - TERM INT
    note "Temporary server stopped"
    echo
    note "MySQL init process done. Ready for start up."
    echo
  fi
fi

exec "$@"
