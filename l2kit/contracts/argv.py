"""Shell words -> calls of a contract command: subcommand, flags, unknown names.

Flags may come before the subcommand (global flags) and after it; ``--flag value`` consumes the
next word only for flags that take a value. In our own scripts, ``script_calls`` finds each call
of a command, following one-line wrapper functions.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from functools import cache

from l2kit.contracts import Command, Subcommand

# Words after which a command word starts a call ("timeout 20 cmd": the number is skipped too).
_CALL_AFTER = {"if", "then", "else", "elif", "do", "while", "until", "exec", "timeout", "command"}
_PUNCT = {"|", "||", "&&", ";", "&", "(", ")", ">", ">>", "<", "{", "}", "$(", "`", "2>&1", "!"}


@dataclass
class Call:
    values: dict[str, str]  # flag -> value given
    problems: list[tuple[str, str, str]]  # (what, rule, provenance)


_FUNC = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*\(\)\s*\{(.*)$")


def script_calls(text: str, commands: set[str]) -> list[tuple[str, list[str]]]:
    """Each call of one of ``commands`` in a shell script: (command, its argument tokens).

    A one-line wrapper function ``f() { cmd -a "$@"; }`` makes each ``f -b`` a call
    ``cmd -a -b`` (the wrapper's own line is not a call by itself).
    """
    return [(name, list(rest)) for name, rest in _script_calls(text, frozenset(commands))]


@cache  # the same scripts run in many pods of a fleet
def _script_calls(text: str, commands: frozenset[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out: list[tuple[str, tuple[str, ...]]] = []
    aliases: dict[str, tuple[str, list[str]]] = {}
    for line in text.replace("\\\n", " ").splitlines():
        if not any(n in line for n in (*commands, *aliases)):
            continue  # shlex is slow: only lines naming a command are split
        func = _FUNC.match(line)
        tokens = _tokens(func.group(2) if func else line)
        for i, tok in enumerate(tokens):
            name = posixpath.basename(tok)
            if name not in commands and name not in aliases:
                continue
            if not (
                i == 0
                or tokens[i - 1] in _PUNCT
                or tokens[i - 1] in _CALL_AFTER
                or re.fullmatch(r"\d+", tokens[i - 1])
            ):
                continue
            rest = []
            for t in tokens[i + 1 :]:
                if t in _PUNCT or set(t) <= set(";&|()<>"):
                    break
                rest.append(t)
            if func and "$@" in rest and name in commands:
                aliases[func.group(1)] = (name, [t for t in rest if t != "$@"])
                continue
            if name in aliases:
                name, head = aliases[name]
                rest = [*head, *rest]
            out.append((name, tuple(rest)))
    return tuple(out)


def _tokens(line: str) -> list[str]:
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError:
        return []  # a quote spanning lines: not one of our command lines


def is_flag(tok: str) -> bool:
    return tok.startswith("-") and len(tok) > 1 and not re.fullmatch(r"-\d+(\.\d+)?", tok)


def parse_call(cmd: str, spec: Command, tokens: list[str], opaque: bool = False) -> Call:
    """Subcommand and flags of one call; ``opaque``: shell words like "$x" may be anything.

    Flags may come before the subcommand (global flags) and after it (global + its own);
    ``--flag value`` consumes the next word only for flags that take a value.
    """
    flags, switches = set(spec.flags), set(spec.switches)
    call = Call({}, [])
    words: list[str] = []  # subcommand words seen so far
    collecting = spec.subcommands is not None
    called, prov = cmd, spec.provenance  # what the flags belong to, for the problem lines

    def resolve() -> None:
        nonlocal collecting, called, prov
        collecting = False
        sub = _subcommand(spec, words)
        if sub is not None:
            flags.update(sub.flags)
            switches.update(sub.switches)
            called = f"{cmd} {_subcommand_name(spec, words)}"
            prov = sub.provenance or prov
        elif not (opaque and words[-1].startswith("$")):
            call.problems.append(
                (f"{cmd} {' '.join(words)}", "unknown subcommand", spec.provenance)
            )

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "--":
            break
        if not is_flag(tok):
            if collecting:
                words.append(tok)
                if not _has_longer(spec, words):
                    resolve()
            continue  # a positional argument
        if collecting and words:
            resolve()
        name, eq, value = tok.partition("=")
        if name in flags:
            if not eq and i < len(tokens):
                value = tokens[i]
                i += 1
            call.values[name] = value
        elif name in switches:
            call.values[name] = value if eq else "true"
        else:
            call.problems.append((f"{called} {name}", "unknown flag", prov))
    if collecting and words:
        resolve()
    return call


def _subcommand_name(spec: Command, words: list[str]) -> str | None:
    """The longest leading run of ``words`` that names a subcommand."""
    subs = spec.subcommands or {}
    for n in range(len(words), 0, -1):
        key = " ".join(words[:n])
        if key in subs:
            return key
    return None


def _subcommand(spec: Command, words: list[str]) -> Subcommand | None:
    key = _subcommand_name(spec, words)
    return None if key is None else (spec.subcommands or {})[key]


def _has_longer(spec: Command, words: list[str]) -> bool:
    prefix = " ".join(words) + " "
    return any(k.startswith(prefix) for k in (spec.subcommands or {}))
