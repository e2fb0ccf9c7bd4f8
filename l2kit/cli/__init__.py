"""The ``l2kit`` command: the command registries, ``main()`` (the one place that turns errors into
``error:`` lines and exit codes; click's own usage errors are worded by ``app.run_click``) and
``entry()``, the console script.

Commands load lazily, so ``l2kit --help`` and offline commands start fast: the registries below
name every command, the module that defines it and its short help (what ``--help`` lists), and
a command's module is imported only when that command runs or shows its own ``--help``. Heavy
libraries (httpx, kubernetes, prometheus_client, jinja2, pydantic models, rich, structlog) are
imported inside the code paths that use them, never at a CLI module's top. This module imports
no click: the commands scripts call in loops are defined without it (``argspec.Command``) and
run through ``l2kit.cli.fastlane`` when their arguments are plain; everything else goes to the
click group in ``l2kit.cli.app``.

To add a command:
  1. define it in a module under ``l2kit/cli/`` and append it to that module's ``COMMANDS`` list
     (a click command, or an ``argspec.Command`` if it must start without click: then also add
     the module to ``fastlane.PLAIN``);
  2. add one line ``"name": ("module", "Short help."),`` to the registry of its group below
     (the short help is the docstring's first sentence; tests/unit/cli/test_cli_lazy.py checks it
     against the command's own and that every ``COMMANDS`` entry is registered).

Groups: ``l2kit`` (TOP), ``l2kit stake`` (STAKE; the group is cli/stake.py), ``l2kit regtest``
(REGTEST; cli/regtest.py). ``index`` and ``monitor`` keep their commands in one module each.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys

from l2kit import log
from l2kit.errors import L2kitError, one_line

Registry = dict[str, tuple[str, str]]  # command name -> (module under l2kit.cli, short help)

TOP: Registry = {
    "regtest": ("regtest", "Build and run a local Bitcoin Core regtest node."),
    "stake": ("stake", "Build, sign, inspect and track Babylon staking transactions."),
    "index": ("index", "Phase-1 staking indexer over the node's blocks."),
    "monitor": (
        "monitor",
        "Fleet health: bitcoind, Babylon, the finality gadget, component metrics, Kubernetes.",
    ),
    "init": ("spec_init", "Print a complete, commented stack spec for PROFILE."),
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
        "stake_address",
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


def _print_traceback() -> None:
    import traceback  # only with --debug; not worth its import on every start

    traceback.print_exc()


def _error(text: str) -> None:
    sys.stderr.write(f"error: {text}\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command, turn an error into one ``error:`` line on stderr and an
    exit code.

    Usage errors and ``InputError`` exit 2, everything else 1. Tracebacks only with ``--debug``;
    an unexpected exception shows its type, never its message (it might hold a secret).
    """
    from l2kit.cli import fastlane  # here, not at the top: it reads the registries above

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        # Imports allocate only what lives as long as the process (modules, classes,
        # functions): the cyclic GC finds nothing there and costs ~10 ms of a short command.
        collecting = gc.isenabled()
        gc.disable()
        try:
            run = fastlane.command(args)
            if run is None:
                from l2kit.cli.app import run_click
        finally:
            if collecting:
                gc.enable()
        if run is not None:
            log.configure(json=False, level="info")  # what the group does without its options
            run()
        else:
            code = run_click(args)
            if code:
                sys.exit(code)
    except L2kitError as exc:
        from l2kit.redact import scrub  # only on the error path: not worth it on every start

        if debug:
            _print_traceback()
        for line in str(exc).splitlines() or [type(exc).__name__]:
            _error(scrub(one_line(line)))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except OSError as exc:  # a path l2kit could not read or write: name it, no traceback
        if debug:
            _print_traceback()
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{exc.strerror or type(exc).__name__}")
        sys.exit(1)
    except Exception as exc:  # a bug: say so in one line; --debug shows where
        if debug:
            _print_traceback()
        _error(f"internal error ({type(exc).__name__}); rerun with --debug for the traceback")
        sys.exit(1)
    sys.exit(0)


def entry() -> None:
    """The console script and ``python -m l2kit``: ``main()``; after a help request or a fast-lane
    command the process then ends without the interpreter's teardown (freeing every module and
    object one by one: ~15 ms, a sixth of such a run). Those hold no files, threads or child
    processes that teardown would close; everything else exits the normal way."""
    from l2kit.cli import fastlane

    args = sys.argv[1:]
    try:
        main(args)
    except SystemExit as exc:
        if not fastlane.ends_quickly(args):
            raise
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
                stream.flush()
        os._exit(exc.code if isinstance(exc.code, int) else 1)
