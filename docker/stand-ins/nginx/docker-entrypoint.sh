#!/bin/sh
# Entrypoint of the nginx stand-in, behaving as the official image's: before `nginx` (or `nginx-debug`)
# starts, every file in /docker-entrypoint.d/ is taken in version order: *.envsh files that are executable are
# sourced (they can export variables for the next ones), executable *.sh files are run, anything else is
# skipped with a note. NGINX_ENTRYPOINT_QUIET_LOGS silences the notes.
set -e

say() {
  if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then echo "$@"; fi
}

if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
  if find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | grep -q .; then
    say "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
    say "$0: Looking for shell scripts in /docker-entrypoint.d/"
    # Not a pipe into `while`: a sourced *.envsh must export into this shell, not a subshell.
    scripts="$(find /docker-entrypoint.d/ -follow -type f -print | sort -V)"
    old_ifs="$IFS"
    IFS='
'
    for f in $scripts; do
      IFS="$old_ifs"
      case "$f" in
        *.envsh)
          if [ -x "$f" ]; then say "$0: Sourcing $f"; . "$f"; else say "$0: Ignoring $f, not executable"; fi
          ;;
        *.sh)
          if [ -x "$f" ]; then say "$0: Launching $f"; "$f"; else say "$0: Ignoring $f, not executable"; fi
          ;;
        *) say "$0: Ignoring $f" ;;
      esac
    done
    IFS="$old_ifs"
    say "$0: Configuration complete; ready for start up"
  else
    say "$0: No files found in /docker-entrypoint.d/, skipping configuration"
  fi
fi

exec "$@"
