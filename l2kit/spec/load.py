"""Reading a spec file: text (size-capped, strict UTF-8) → YAML → models → cross-field rules.

Every problem is reported at once as a :class:`SpecError`, one ``path.to.field: rule`` line each.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from l2kit.errors import InputError, SpecError
from l2kit.inputfiles import SPEC_MAX_BYTES, BadDocument, load_yaml, read_text
from l2kit.spec.model import FleetSpec
from l2kit.spec.rules import fleet_problems
from l2kit.validation import ROOT, error_lines


def load_spec(spec: str | Path) -> FleetSpec:
    """Read (``-``: stdin) and parse a spec file: the one way the CLI reads specs."""
    return parse_spec(read_spec(spec))


def read_spec(spec: str | Path) -> str:
    """The text of a spec file (``-``: stdin), size-capped and strictly UTF-8."""
    if str(spec) == "-":
        text = sys.stdin.read(SPEC_MAX_BYTES + 1)
        if len(text) > SPEC_MAX_BYTES:
            raise InputError(f"larger than {SPEC_MAX_BYTES} bytes", field="spec")
        return text
    try:
        return read_text(Path(spec), SPEC_MAX_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read spec: {exc.strerror or exc}", field=str(spec)) from None
    except BadDocument as exc:
        raise InputError(str(exc), field=str(spec)) from None


def parse_spec(text: str) -> FleetSpec:
    """Parse and check a spec; raise SpecError listing every problem (``path: rule``)."""
    try:
        data: Any = load_yaml(text)
    except BadDocument as exc:
        raise SpecError([f"<yaml>: {exc}"]) from None
    if not isinstance(data, dict):
        raise SpecError([f"{ROOT}: must be a mapping with a 'stacks' list"])
    try:
        fleet = FleetSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(error_lines(exc)) from exc
    problems = fleet_problems(fleet)
    if problems:
        raise SpecError(problems)
    return fleet
