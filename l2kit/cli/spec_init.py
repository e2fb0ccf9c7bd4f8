"""`l2kit init`: print a complete, commented stack spec for a profile.

Defined without click (``argspec.Command``): it runs through the fast lane and reads only the
profiles' text (``l2kit.render.profiles``), nothing of the rendering pipeline.
"""

from __future__ import annotations

from l2kit.cli.argspec import Command, Opt
from l2kit.cli.output import echo
from l2kit.render import profiles


def init(profile: str, network: str | None) -> None:
    """Print a complete, commented stack spec for PROFILE.

    The rollup profile is experimental (Babylon's OP-stack finality gadget is a proof of concept
    upstream)."""
    text = profiles.init_spec(profile, network)
    if profile == "rollup":
        echo(f"warning: {profiles.EXPERIMENTAL_NOTICE}", err=True)
    echo(text, nl=False)


OPTS = (
    Opt(
        ("--profile", "-p"),
        "profile",
        "Which stack to start from.",
        choices=profiles.PROFILES,
        required=True,
    ),
    Opt(
        ("--network", "-n"),
        "network",
        "Bitcoin network (default: regtest; finality-provider: signet).",
        choices=profiles.INIT_NETWORKS,
    ),
)
COMMANDS = [Command("init", init, OPTS)]
