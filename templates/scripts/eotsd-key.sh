#!/bin/sh
# eotsd-key.sh HOME KEY_NAME SECRET_DIR TMPDIR
# Init step of eotsd: import the EOTS key once from the Secret mounted at SECRET_DIR
# (files mnemonic, passphrase) into eotsd's `file` keyring, which also registers KEY_NAME -> public key
# in eots.db (eotsd keys add: finality-provider@v2.0.2:eotsmanager/cmd/eotsd/daemon/keys.go
# #L75-L104); a second `keys add` of the same key is refused (store/eotsstore.go#L75-L83), so an
# existing key is only read back. Leaves the public key in HOME/eots-pk for the unlock hook.
# Keyring prompts read the passphrase from stdin (cosmos-sdk keyring file backend); TMPDIR is
# a memory-backed emptyDir for the one-word-per-space mnemonic copy `--source` reads.
set -eu
home=$1
name=$2
secret=$3
tmp=$4
umask 077

pass=$(cat "$secret/passphrase")
case $pass in
  *[[:space:]]*) echo "eotsd-key: the passphrase must not contain whitespace" >&2; exit 1 ;;
esac
if [ "${#pass}" -lt 8 ]; then
  echo "eotsd-key: the keyring passphrase needs at least 8 characters" >&2
  exit 1
fi

if [ ! -f "$home/keyring-file/$name.info" ]; then
  set -f
  # shellcheck disable=SC2046  # word splitting normalises the mnemonic's whitespace
  set -- $(cat "$secret/mnemonic")
  set +f
  printf '%s' "$*" > "$tmp/mnemonic"
  if ! printf '%s\n%s\n' "$pass" "$pass" | eotsd keys add "$name" --recover \
      --source "$tmp/mnemonic" --keyring-backend file --home "$home" --output json \
      > /dev/null; then
    rm -f "$tmp/mnemonic"
    echo "eotsd-key: importing the EOTS key $name failed" >&2
    exit 1
  fi
  rm -f "$tmp/mnemonic"
  echo "eotsd-key: imported the EOTS key $name"
fi

# The JSON (pubkey_hex) goes through cobra's Println; take it from either stream.
shown=$(printf '%s\n' "$pass" | eotsd keys show "$name" --keyring-backend file --home "$home" \
        --output json 2>&1) || true
pk=$(printf '%s\n' "$shown" | sed -n 's/.*"pubkey_hex": *"\([0-9a-f]*\)".*/\1/p' | head -n 1)
case $pk in
  *[!0-9a-f]* | '') echo "eotsd-key: no public key for $name (wrong passphrase?)" >&2; exit 1 ;;
esac
if [ "${#pk}" -ne 64 ]; then
  echo "eotsd-key: public key of $name is not 32 bytes" >&2
  exit 1
fi
printf '%s\n' "$pk" > "$home/eots-pk"
echo "eotsd-key: EOTS key $name = $pk"
