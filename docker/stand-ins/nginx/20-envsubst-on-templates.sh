#!/bin/sh
# As the official image's: renders every *.template under /etc/nginx/templates (NGINX_ENVSUBST_TEMPLATE_DIR)
# into /etc/nginx/conf.d (NGINX_ENVSUBST_OUTPUT_DIR), keeping subfolders and dropping the suffix
# (NGINX_ENVSUBST_TEMPLATE_SUFFIX). Only variables defined in the environment are substituted (optionally only
# those whose names match NGINX_ENVSUBST_FILTER), so nginx's own $variables stay as they are.
set -e
me="$(basename "$0")"
say() {
  if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then echo "$@"; fi
}

template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
filter="${NGINX_ENVSUBST_FILTER:-}"

[ -d "$template_dir" ] || exit 0
if [ ! -w "$output_dir" ]; then
  say "$me: ERROR: $template_dir exists, but $output_dir is not writable"
  exit 0
fi

# '${A} ${B} ...' for every variable in the environment (matching the filter): envsubst's SHELL-FORMAT.
defined="$(awk -v filter="$filter" 'END { for (name in ENVIRON) if (name ~ filter) printf "${%s} ", name }' </dev/null)"

find "$template_dir" -follow -type f -name "*$suffix" -print | while read -r template; do
  relative="${template#"$template_dir/"}"
  output="$output_dir/${relative%"$suffix"}"
  mkdir -p "$(dirname "$output")"
  say "$me: Running envsubst on $template to $output"
  envsubst "$defined" <"$template" >"$output"
done
