"""How `l2kit stake` prints a stake's status for people (``--json`` prints the dict as is)."""

from __future__ import annotations

from typing import Any

import click

from l2kit.staking.states import State

__all__ = ["human", "human_list", "left"]


def left(data: dict[str, Any]) -> str:
    """blocks_until_withdrawable for people (None: withdrawn, or not broadcast yet)."""
    left = data.get("blocks_until_withdrawable")
    if left is None:
        return "- (withdrawn)" if data.get("state") == State.WITHDRAWN.value else "-"
    return "now" if left == 0 else f"{left} blocks"


def human(data: dict[str, Any]) -> None:
    rows = [
        ("staking_txid", data.get("staking_txid")),
        ("state", data.get("state")),
        ("confirmations", data.get("confirmations")),
        ("withdrawable in", left(data)),
        ("value", f"{data.get('value')} sat"),
    ]
    if data.get("fee") is not None:
        rows.append(("fee", f"{data['fee']} sat"))
    if data.get("to"):
        rows.append(("to", data["to"]))
    if data.get("existing"):
        rows.append(("existing", "yes (this request was already staked)"))
    if data.get("babylon"):
        b = data["babylon"]
        rows.append(("babylon", f"{b['state']} ({b['flow']}, {b['chain_id']})"))
    for key, value in rows:
        click.echo(f"{key:<26} {value}")
    for kind, tx in data.get("txs", {}).items():
        click.echo(f"  {kind:<24} {tx['txid']}  ({tx['confirmations']} conf)")


def human_list(data: list[dict[str, Any]]) -> None:
    """One line per stake (``stake list``)."""
    if not data:
        click.echo("no tracked stakes (`l2kit stake create` adds one)")
    for row in data:
        babylon = (row.get("babylon") or {}).get("state", "-")
        click.echo(
            f"{row['staking_txid']}  {row['state']:<12} {babylon:<12} "
            f"{row['value']:>12} sat  {row['confirmations']:>5} conf  "
            f"withdrawable in {left(row)}"
        )
