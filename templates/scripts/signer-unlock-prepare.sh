#!/bin/sh
# signer-unlock-prepare.sh HMAC_KEY_FILE PASSPHRASE_FILE OUT_DIR
# Init container of the covenant-signer pod, run in the covd image (openssl, jq; the signer's
# alpine image has neither). Writes the unlock request the postStart hook replays after every
# signer (re)start, onto a memory emptyDir:
#   OUT_DIR/unlock.json  the body, {"passphrase": ...} or {} without PASSPHRASE_FILE
#   OUT_DIR/unlock.hdr   the header line "X-Covenant-HMAC: <hex>", hex(HMAC-SHA256(key, body)),
#                        which is what the signer checks (signerservice/middlewares/hmac_auth.go)
# The key is read the way render-config.sh puts it into config.toml ($(cat): trailing newlines
# dropped), so both sides use the same key bytes. openssl takes the key as an argument: it is
# visible only inside this init container's own PID namespace, for a few milliseconds.
set -eu
umask 077
key=$(cat "$1")
if [ -z "$key" ]; then
  echo "signer-unlock-prepare: the HMAC key ($1) is empty" >&2
  exit 1
fi
if [ -f "$2" ]; then
  jq -Rsc '{passphrase: sub("\n+$"; "")}' < "$2" > "$3/unlock.json.tmp"
else
  printf '{}' > "$3/unlock.json.tmp"
fi
mac=$(openssl dgst -sha256 -hmac "$key" -r < "$3/unlock.json.tmp" | cut -d ' ' -f 1)
case $mac in
  [0-9a-f]*) ;;
  *) echo "signer-unlock-prepare: openssl gave no HMAC" >&2; exit 1 ;;
esac
printf 'X-Covenant-HMAC: %s\n' "$mac" > "$3/unlock.hdr.tmp"
mv "$3/unlock.json.tmp" "$3/unlock.json"
mv "$3/unlock.hdr.tmp" "$3/unlock.hdr"
