"""`l2kit regtest covenant …`: a local covenant committee for regtest staking.

    l2kit regtest covenant init --members 3 --quorum 2 [--dir DIR] [--force]
    l2kit regtest covenant show [--dir DIR]

``init`` writes, in DIR (default ``<data dir>/covenant``):
    committee.json       the members' secret keys (mode 0600)
    committee.pub.json   public keys + quorum
    params.json          regtest staking params (global-params format) naming this committee
"""

from __future__ import annotations

from pathlib import Path

import click

from l2kit import paths
from l2kit.cli.options import json_option
from l2kit.cli.output import emit
from l2kit.staking.covenant import LocalCommittee, load_public
from l2kit.staking.params import write_regtest_params

dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Committee directory [default: <l2kit data dir>/covenant].",
)


def write_params(directory: Path, committee: LocalCommittee) -> Path:
    return write_regtest_params(directory, committee.public_keys(), committee.quorum)


@click.group("covenant")
def covenant() -> None:
    """Local covenant committee (signs unbonding, adaptor-signs slashing)."""


@covenant.command("init")
@click.option("--members", type=int, default=3, show_default=True, help="Committee size N.")
@click.option("--quorum", type=int, default=2, show_default=True, help="Signatures needed K.")
@dir_option
@click.option("--force", is_flag=True, help="Replace an existing committee.")
@json_option
def init(members: int, quorum: int, directory: Path | None, force: bool, as_json: bool) -> None:
    """Create an N-member, K-quorum committee with fresh keys."""
    directory = directory or paths.covenant_dir()
    committee = LocalCommittee.create(directory, members, quorum, force=force)
    params = write_params(directory, committee)
    emit(
        {
            "dir": str(directory),
            "quorum": committee.quorum,
            "public_keys": [k.hex() for k in committee.public_keys()],
            "params": str(params),
        },
        as_json,
    )


@covenant.command("show")
@dir_option
@json_option
def show(directory: Path | None, as_json: bool) -> None:
    """Print the committee's public keys and quorum."""
    directory = directory or paths.covenant_dir()
    keys, quorum = load_public(directory)
    emit({"dir": str(directory), "quorum": quorum, "public_keys": [k.hex() for k in keys]}, as_json)


COMMANDS: list[click.Command] = [covenant]
