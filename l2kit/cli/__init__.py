"""The ``l2kit`` command: one click group; ``main()`` is the only place that prints errors.

Commands load lazily, so ``l2kit --help`` and offline commands start fast: the
registries below name every command, the module that defines it and its short help (what
``--help`` lists), and a command's module is imported only when that command runs or shows its
own ``--help``. Heavy libraries (httpx, kubernetes, prometheus_client, jinja2, pydantic models,
rich, structlog) are imported inside the code paths that use them, never at a CLI module's top.

To add a command:
  1. define it in a module under ``l2kit/cli/`` and append it to that module's ``COMMANDS`` list;
  2. add one line ``"name": ("module", "Short help."),`` to the registry of its group below
     (the short help is the docstring's first sentence; tests/unit/cli/test_cli_lazy.py checks it
     against the command's own and that every ``COMMANDS`` entry is registered).

Groups: ``l2kit`` (TOP), ``l2kit stake`` (STAKE; the group is cli/stake.py), ``l2kit regtest``
(REGTEST; cli/regtest.py). ``index`` and ``monitor`` keep their commands in one module each.
"""

from __future__ import annotations

import sys

import click

from l2kit import __version__, log
from l2kit.cli.lazy import LazyGroup, Registry
from l2kit.errors import L2kitError, one_line

TOP: Registry = {
    "regtest": ("regtest", "Build and run a local Bitcoin Core regtest node."),
    "stake": ("stake", "Build, sign, inspect and track Babylon staking transactions."),
    "index": ("index", "Phase-1 staking indexer over the node's blocks."),
    "monitor": (
        "monitor",
        "Fleet health: bitcoind, Babylon, the finality gadget, component metrics, Kubernetes.",
    ),
    "init": ("provision", "Print a complete, commented stack spec for PROFILE."),
    "render": (
        "provision",
        "Render SPEC into one YAML file per object (DIR/<stack>/<kind>-<name>.yaml).",
    ),
    "validate": (
        "provision",
        "Run every check (spec rules, rendering, invariants, Kubernetes schemas); write nothing.",
    ),
    "values": (
        "provision",
        "Print the computed Helm values for charts/l2kit (add your knobs in a second -f file).",
    ),
    "secrets": (
        "provision",
        "List the existing Secrets/ConfigMaps SPEC refers to, the keys each "
        "must hold, and how to make the keyrings.",
    ),
    "diff": (
        "cluster",
        "Show what `apply` would change: new, changed, unchanged and pruned objects.",
    ),
    "apply": (
        "cluster",
        "Server-side apply the rendered stacks (field manager l2kit), in dependency order.",
    ),
    "status": ("cluster", "Rollout and readiness of the stacks; exit 1 when one is not ready."),
}

STAKE: Registry = {
    "scripts": (
        "stake_build",
        "Leaf scripts, leaf hashes, control blocks and output keys of the "
        "staking output (and the unbonding output when an unbonding time is known).",
    ),
    "address": (
        "stake_build",
        "The P2TR address (bech32m) and scriptPubKey of the staking output.",
    ),
    "build-staking": (
        "stake_build",
        "An unsigned staking transaction (staking output first, OP_RETURN second, change last).",
    ),
    "build-unbonding": (
        "stake_build",
        "The unsigned unbonding transaction (v2, seq ffffffff, value = stake - unbonding fee).",
    ),
    "build-slashing": (
        "stake_build",
        "An unsigned slashing transaction (out[0] slashed, out[1] timelocked change).",
    ),
    "build-withdrawal": (
        "stake_build",
        "An unsigned withdrawal via the timelock leaf (nSequence = the timelock).",
    ),
    "inspect": (
        "stake_build",
        "Decode a transaction (hex, a file holding it, or - for stdin) and "
        "say what it is and which params versions it satisfies.",
    ),
    "conformance": (
        "stake_conformance",
        "Official-vector parameters (JSON on stdin) to the "
        "expected scripts and transactions (JSON on stdout).",
    ),
    "sign": (
        "stake_sign",
        "Sign a staking spend: unbonding, slashing or withdrawal (BIP341 script path, BIP340).",
    ),
    "create": (
        "stake_life",
        "Build, fund, check and broadcast a staking tx (idempotent per request).",
    ),
    "list": (
        "stake_life",
        "Every tracked stake with its Bitcoin state (synced with the chain) and "
        "Babylon state (asked now with --babylon-rest, else as last seen).",
    ),
    "status": (
        "stake_life",
        "State, confirmations and blocks until withdrawable of one stake, and "
        "its Babylon state (asked now with --babylon-rest, else as last seen).",
    ),
    "unbond": (
        "stake_life",
        "Unbond early: covenant quorum signatures (from the Babylon "
        "chain for a registered stake, else the local committee) + staker signature, "
        "checked, broadcast.",
    ),
    "withdraw": (
        "stake_life",
        "Withdraw after the timelock (staking expiry, unbonding or slashing change).",
    ),
    "slash": (
        "stake_life",
        "Slash with an FP's extracted key: decrypt the covenant adaptor sigs, sign, broadcast.",
    ),
    "funding-address": (
        "stake_life",
        "The BIP86 P2TR address (and descriptor) that `create --key-file` spends from.",
    ),
    "register": (
        "stake_register",
        "Register a stake with Babylon: a new one (pre-staking "
        "flow) or, with --stake, a tracked, k-deep one (post-staking flow).",
    ),
    "abandon": (
        "stake_register",
        "Give up a REGISTRATION_PENDING stake: unlock its inputs; its staking tx is never sent.",
    ),
    "pop": (
        "stake_register",
        "Proof of possession of a BTC key for a Babylon account: sign (key "
        "file), export a BIP-322 PSBT for an external signer and finish from it, or verify "
        "as the chain does.",
    ),
}

REGTEST: Registry = {
    "covenant": (
        "regtest_covenant",
        "Local covenant committee (signs unbonding, adaptor-signs slashing).",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy=TOP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="l2kit")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("--log-json", is_flag=True, help="Log one JSON object per line (for machines).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, log_json: bool) -> None:
    """Provision, stake and monitor Babylon-secured Bitcoin L2 infrastructure."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    log.configure(json=log_json, level="debug" if debug else "info")


def _one_line(text: str) -> str:
    """click's message as ours: one line ("Choose from:\\n\\ta,\\n\\tb" spans lines), lower-case
    first word and no final period, like every other ``error:`` line."""
    line = " ".join(text.split()).rstrip(".")
    if len(line) > 1 and line[0].isupper() and line[1].islower():
        line = line[0].lower() + line[1:]
    return line


def _print_traceback() -> None:
    import traceback  # only with --debug; not worth its import on every start

    traceback.print_exc()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turn an error into one ``error:`` line on stderr and an exit code.

    Usage errors and ``InputError`` exit 2, everything else 1. Tracebacks only with ``--debug``;
    an unexpected exception shows its type, never its message (it might hold a secret).
    """
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="l2kit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        click.echo(f"error: {_one_line(exc.format_message())}{hint}", err=True)
        sys.exit(exc.exit_code)
    except L2kitError as exc:
        from l2kit.redact import scrub  # only on the error path: not worth it on every start

        if debug:
            _print_traceback()
        for line in str(exc).splitlines() or [type(exc).__name__]:
            click.echo(f"error: {scrub(one_line(line))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except OSError as exc:  # a path l2kit could not read or write: name it, no traceback
        if debug:
            _print_traceback()
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {where}{exc.strerror or type(exc).__name__}", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug: say so in one line; --debug shows where
        if debug:
            _print_traceback()
        click.echo(
            f"error: internal error ({type(exc).__name__}); rerun with --debug for the traceback",
            err=True,
        )
        sys.exit(1)
    sys.exit(0)
