#!/bin/sh
# render-config.sh TEMPLATE OUT [NAME=FILE]...
# Copy a config template (from a ConfigMap) to OUT (on an emptyDir), replacing every @@NAME@@
# with the content of FILE (a mounted Secret key). Secret values never enter the ConfigMap.
# Values are restricted to characters that need no quoting in YAML/TOML/INI strings.
set -eu
template=$1
out=$2
shift 2
tmp="$out.tmp"
cp "$template" "$tmp"
for pair in "$@"; do
  name=${pair%%=*}
  file=${pair#*=}
  value=$(cat "$file")
  if [ -z "$value" ]; then
    echo "render-config: $name ($file) is empty" >&2
    exit 1
  fi
  case $value in
    *[!A-Za-z0-9._~+/=:\$-]*)
      echo "render-config: $name ($file) has characters outside [A-Za-z0-9._~+/=:\$-]" >&2
      exit 1 ;;
  esac
  : > "$tmp.next"
  while IFS= read -r line || [ -n "$line" ]; do
    while :; do
      case $line in
        *"@@$name@@"*) line="${line%%"@@$name@@"*}$value${line#*"@@$name@@"}" ;;
        *) break ;;
      esac
    done
    printf '%s\n' "$line" >> "$tmp.next"
  done < "$tmp"
  mv "$tmp.next" "$tmp"
done
chmod 0400 "$tmp"
mv "$tmp" "$out"
