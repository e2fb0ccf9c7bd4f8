"""The covenant committee: the ``CovenantSigner`` protocol and a local (regtest) committee.

A covenant member signs two things for a stake:
- the unbonding tx (plain BIP340 signature over the script-path sighash of the staking
  output's unbonding leaf), and
- each slashing tx (from the staking output: slashing leaf of the staking output; from the
  unbonding output: slashing leaf of the unbonding output) as ADAPTOR signatures, one per
  finality provider, encrypted under that FP's key — they become valid signatures only with
  the FP's secret key, i.e. after it equivocates.

``LocalCommittee`` keeps the members' secret keys in one 0600 JSON file; a remote signer only
has to implement ``CovenantSigner``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bitcoin.core import CTransaction

from l2kit.btc.adaptor import encrypted_sign, encryption_key_from_xonly
from l2kit.btc.keys import XOnlyPubKey, parse_pubkey, xonly_of
from l2kit.btc.sign import schnorr_sign, taproot_script_sighash
from l2kit.errors import InputError, StoreError
from l2kit.fsutil import write_atomic

COMMITTEE_FILE = "committee.json"  # secret: 0600
PUBLIC_FILE = "committee.pub.json"


@dataclass(frozen=True)
class SpendContext:
    """What a signer needs to sign input 0 of a one-input spend by a given leaf."""

    tx: CTransaction
    prevout_value: int
    prevout_script: bytes
    leaf_script: bytes

    def sighash(self) -> bytes:
        return taproot_script_sighash(
            self.tx, 0, [(self.prevout_value, self.prevout_script)], self.leaf_script
        )


class CovenantSigner(Protocol):
    """A covenant committee as the staker sees it (local keys or, later, a remote service)."""

    @property
    def quorum(self) -> int: ...

    def public_keys(self) -> tuple[XOnlyPubKey, ...]: ...

    def sign_unbonding(self, ctx: SpendContext) -> dict[XOnlyPubKey, bytes]:
        """64-byte BIP340 signatures by covenant key (at least ``quorum`` of them)."""
        ...

    def adaptor_sign_slashing(
        self, ctx: SpendContext, fp_pks: Sequence[XOnlyPubKey]
    ) -> dict[tuple[XOnlyPubKey, XOnlyPubKey], bytes]:
        """65-byte adaptor sigs keyed by (covenant key, FP key), encrypted under the FP key."""
        ...


class LocalCommittee:
    """N regtest covenant members whose secret keys live in a 0600 file."""

    def __init__(self, secret_keys: Sequence[bytes], quorum: int) -> None:
        if not 0 < quorum <= len(secret_keys):
            raise InputError(f"must be in 1..{len(secret_keys)}", field="quorum")
        self._keys = {xonly_of(sk): sk for sk in secret_keys}
        self._quorum = quorum

    def __repr__(self) -> str:  # never show the secrets
        return f"LocalCommittee(members={len(self._keys)}, quorum={self._quorum})"

    @property
    def quorum(self) -> int:
        return self._quorum

    def public_keys(self) -> tuple[XOnlyPubKey, ...]:
        return tuple(sorted(self._keys))

    def sign_unbonding(self, ctx: SpendContext) -> dict[XOnlyPubKey, bytes]:
        msg = ctx.sighash()
        return {pk: schnorr_sign(sk, msg) for pk, sk in self._keys.items()}

    def adaptor_sign_slashing(
        self, ctx: SpendContext, fp_pks: Sequence[XOnlyPubKey]
    ) -> dict[tuple[XOnlyPubKey, XOnlyPubKey], bytes]:
        msg = ctx.sighash()
        out: dict[tuple[XOnlyPubKey, XOnlyPubKey], bytes] = {}
        for pk, sk in self._keys.items():
            for fp in fp_pks:
                sig = encrypted_sign(sk, encryption_key_from_xonly(fp), msg)
                out[(pk, fp)] = sig.serialize()
        return out

    # --- files ----------------------------------------------------------------------------------

    @classmethod
    def create(
        cls, directory: Path, members: int, quorum: int, force: bool = False
    ) -> LocalCommittee:
        if not 1 <= members <= 20:
            raise InputError("must be in 1..20", field="members")
        if not 1 <= quorum <= members:
            raise InputError(f"must be in 1..{members} (--members)", field="quorum")
        path = directory / COMMITTEE_FILE
        if path.exists() and not force:
            raise InputError(f"{path} exists (use --force to replace it)", field="dir")
        committee = cls([secrets.token_bytes(32) for _ in range(members)], quorum)
        directory.mkdir(parents=True, exist_ok=True)
        secret_doc = {
            "quorum": quorum,
            "secret_keys": [sk.hex() for sk in committee._keys.values()],
        }
        try:  # without --force, a committee created meanwhile is never replaced
            write_atomic(path, json.dumps(secret_doc, indent=2), mode=0o600, exclusive=not force)
        except FileExistsError:
            raise InputError(f"{path} exists (use --force to replace it)", field="dir") from None
        write_atomic(directory / PUBLIC_FILE, json.dumps(committee.public_doc(), indent=2))
        return committee

    def public_doc(self) -> dict[str, object]:
        return {"quorum": self._quorum, "public_keys": [pk.hex() for pk in self.public_keys()]}

    @classmethod
    def load(cls, directory: Path) -> LocalCommittee:
        with _reading(directory, COMMITTEE_FILE, "committee") as doc:
            keys = [bytes.fromhex(k) for k in doc["secret_keys"]]
            quorum = int(doc["quorum"])
        return cls(keys, quorum)


def load_public(directory: Path) -> tuple[tuple[XOnlyPubKey, ...], int]:
    """(covenant public keys, quorum) without touching the secret file."""
    with _reading(directory, PUBLIC_FILE, "public") as doc:
        keys = tuple(parse_pubkey(k, "public_keys") for k in doc["public_keys"])
        return keys, int(doc["quorum"])


@contextmanager
def _reading(directory: Path, name: str, what: str) -> Iterator[Any]:
    """The JSON document of a committee file; errors while reading or parsing it are mapped:
    missing → ``InputError`` (no committee yet), malformed → ``StoreError``."""
    path = directory / name
    try:
        yield json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise InputError(
            f"no covenant committee at {directory} (run `l2kit regtest covenant init`)",
            field="covenant-dir",
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: unreadable covenant {what} file") from exc
