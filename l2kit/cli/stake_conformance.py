"""`l2kit stake conformance`: the official-vector contract (``l2kit.staking.conformance``) on
stdin and stdout.

Defined without click (``argspec.Command``): test harnesses call it once per case, so it runs
through the fast lane and imports only the builders it needs (whole-process start-up).
"""

from __future__ import annotations

import io
import json
import sys
from typing import BinaryIO

from l2kit.cli.argspec import JSON, Command, Opt
from l2kit.cli.output import echo
from l2kit.errors import InputError
from l2kit.staking import conformance as conf


def conformance(jsonl: bool, as_json: bool) -> None:
    """Official-vector parameters (JSON on stdin) to the expected scripts and transactions
    (JSON on stdout). Invalid input: exit 2 with one line on stderr (with --jsonl: an
    {"error": ...} line, and the run goes on)."""
    del as_json  # always JSON
    stdin: BinaryIO = getattr(sys.stdin, "buffer", None) or io.BytesIO(sys.stdin.read().encode())
    if jsonl:
        for raw in stdin:
            if raw.strip():
                echo(json.dumps(conf.answer_line(raw)))
        return
    obj = conf.load_json(stdin.read())
    try:
        result = conf.conformance(obj)
    except InputError as exc:
        raise InputError(conf.one_line(str(exc))) from None
    echo(json.dumps(result, indent=2))


JSONL = Opt(("--jsonl",), "jsonl", "One JSON object per line in, one answer per line.", "flag")
COMMANDS = [Command("conformance", conformance, (JSONL, JSON))]
