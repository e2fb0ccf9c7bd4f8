"""Scrape a component's Prometheus endpoint and read the few series the checks need.

Parsing is prometheus_client's (text 0.0.4 or OpenMetrics by Content-Type). Exporters differ:
Go counters keep their name (``fp_total_failed_votes``), the Python text parser reports them
with ``_total`` added, OpenMetrics types them ``unknown``; ``Scrape.get`` looks a name up under
all three spellings. Absent families (a ``*Vec`` with no child) are simply absent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from l2kit.errors import ProbeError
from l2kit.monitor.fleet import MetricsTarget, Role
from l2kit.monitor.http import Session, check_status

ACCEPT = "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5"
TEXT_TYPES = ("text/plain", "application/openmetrics-text", "")

# First matching prefix wins; order matters (vigilante_unbonding_watcher before vigilante_).
ROLE_PREFIXES: tuple[tuple[str, Role], ...] = (
    ("fp_seconds_since_last_vote", "fpd"),
    ("fp_status", "fpd"),
    ("eots_", "eotsd"),
    ("vigilante_reporter_", "reporter"),
    ("vigilante_submitter_", "submitter"),
    ("vigilante_monitor_", "monitor"),
    ("vigilante_unbonding_watcher_", "bstracker"),
    ("vigilante_atomic_slasher_", "bstracker"),
    ("ce_", "covd"),
    ("bitcoin_", "exporter"),
    ("bitcoind_", "exporter"),
)

Labels = dict[str, str]


@dataclass(frozen=True)
class Scrape:
    """Samples of one scrape, by sample name (only the families asked for, see ``probe``);
    ``series``: how many sample lines the page had; ``role``: configured or inferred."""

    samples: dict[str, list[tuple[Labels, float]]]
    series: int = 0
    role: Role | None = None

    def get(self, name: str) -> list[tuple[Labels, float]] | None:
        for candidate in (name, name + "_total", name.removesuffix("_total")):
            if candidate in self.samples:
                return self.samples[candidate]
        return None

    def one(self, name: str) -> float | None:
        """The value of an unlabelled (or single) series."""
        series = self.get(name)
        return series[0][1] if series else None

    def by_label(self, name: str, label: str) -> dict[str, float]:
        return {labels.get(label, ""): value for labels, value in self.get(name) or []}

    def total(self, *names: str) -> float | None:
        """Sum over every series of the named families; None when none exists."""
        values = [v for n in names for _, v in self.get(n) or []]
        return sum(values) if values else None


# Runtime families no check reads; a Go service exports ~45-100 of them. Dropping their lines
# before parsing saves most of the parse time (the parser is pure Python).
RUNTIME_PREFIXES = ("go_", "process_", "promhttp_", "python_")
_META = ("# HELP ", "# TYPE ", "# UNIT ")
# What a selective parse keeps of a family's metadata: HELP only documents (dropping it changes
# no sample), yet parsing it costs a third of the parse.
_KEPT_META = ("# TYPE ", "# UNIT ")
_SAMPLE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*(?=[{ \t])")  # a sample line's metric name


def _drop_runtime(text: str) -> str:
    kept = []
    for line in text.split("\n"):
        name = line[7:] if line.startswith(_META) else line
        if not name.startswith(RUNTIME_PREFIXES):
            kept.append(line)
    return "\n".join(kept)


def _select(text: str, keep: tuple[str, ...], names: list[str] | None = None) -> tuple[str, int]:
    """Only the lines of families starting with ``keep`` (and ``# EOF``), and the number of
    sample lines; every sample name goes to ``names`` when given (role inference). The parser is
    pure Python and costs most of a target's CPU, and a check reads a few families of dozens.
    Skipped lines are still checked to start with a metric name, so garbage stays garbage."""
    kept, series = [], 0
    meta = _kept_meta(keep)
    sample = _SAMPLE.match
    for line in text.split("\n"):
        if line[:1] in (" ", "\t"):
            line = line.lstrip()  # the text parser tolerates leading blanks: so do we
        if not line or line[0] == "#":
            if line.startswith(meta):
                kept.append(line)
            continue
        name = sample(line)
        if name is None:
            if line.strip():
                raise ValueError(f"not a sample line: {line[:60]!r}")
            continue
        series += 1
        if names is not None:
            names.append(name.group())
        if line.startswith(keep):
            kept.append(line)
    return "\n".join(kept) + "\n", series


@functools.lru_cache(maxsize=64)
def _kept_meta(keep: tuple[str, ...]) -> tuple[str, ...]:
    """The comment lines kept with ``keep``'s families: their TYPE and UNIT, and ``# EOF``."""
    return (*(m + k for m in _KEPT_META for k in keep), "# EOF")


# The plain shapes of the 0.0.4 text format, for the fast path below: a TYPE line; a sample
# line with unescaped label values, one space before a plain number and an optional timestamp.
_PLAIN_TYPE = re.compile(
    r"# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped)"
)
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
_PLAIN_SAMPLE = re.compile(
    rf"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{{(?:({_LABEL}(?:,{_LABEL})*),?)?\}})?"
    r" ([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN)(?: -?[0-9]+)?"
)
_LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"')
_SUFFIXES = {"summary": ("_count", "_sum", ""), "histogram": ("_count", "_sum", "_bucket")}


def _plain_samples(body: str) -> dict[str, list[tuple[Labels, float]]] | None:
    """prometheus_client's text parse of a selected body, when every line has a plain shape;
    None otherwise (the caller then runs prometheus_client). Its per-character label scanner
    is most of a target's parse time. Family state follows ``text_fd_to_metric_families``: a
    counter whose name lacks ``_total`` reports its samples with ``_total`` added; a sample
    outside the current family is an untyped family of its own. A property test compares the
    two on generated pages."""
    samples: dict[str, list[tuple[Labels, float]]] = {}
    family, typ, allowed = "", "untyped", tuple[str, ...]()
    for line in body.split("\n"):
        if not line:
            continue
        if line[0] == "#":
            meta = _PLAIN_TYPE.fullmatch(line)
            if meta is not None:
                if meta.group(1) == family:
                    return None  # a family retyped: the library types all its samples anew
                family, typ = meta.groups()
                allowed = tuple(family + s for s in _SUFFIXES.get(typ, ("",)))
            elif line != "# EOF" and not line.startswith("# UNIT "):
                return None
            continue
        sample = _PLAIN_SAMPLE.fullmatch(line)
        if sample is None:
            return None
        name, labels, value = sample.groups()
        if name not in allowed:
            family, typ, allowed = "", "untyped", tuple[str, ...]()
        elif typ == "counter" and not family.endswith("_total"):
            name += "_total"
        found = _LABEL_PAIR.findall(labels) if labels else []
        pairs = dict(found)
        if len(pairs) != len(found) or "__name__" in pairs:
            return None  # the library refuses a repeated label and moves __name__
        samples.setdefault(name, []).append((pairs, float(value)))
    return samples


def parse(text: str, content_type: str = "", keep: tuple[str, ...] | None = None) -> Scrape:
    """Raise ``ValueError`` on anything that is not exposition text. ``keep``: parse only the
    families whose names start with one of these (the rest is counted, not parsed)."""
    openmetrics = "openmetrics" in content_type or text.rstrip().endswith("# EOF")
    if keep is None:
        body, series = _drop_runtime(text), 0
    else:
        body, series = _select(text, keep)
    plain = None if openmetrics or keep is None else _plain_samples(body)
    if plain is not None:
        return Scrape(plain, series)
    families = (parse_openmetrics if openmetrics else parse_text)(body)
    samples: dict[str, list[tuple[Labels, float]]] = {}
    for family in families:
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), float(sample.value)))
    if keep is None:
        series = sum(len(v) for v in samples.values())
    return Scrape(samples, series)


def infer_role(names: Iterable[str]) -> Role | None:
    names = list(names)
    for prefix, role in ROLE_PREFIXES:
        if any(n.startswith(prefix) for n in names):
            return role
    return None


async def probe(
    target: MetricsTarget, session: Session, reads: dict[Role, tuple[str, ...]]
) -> Scrape:
    """Scrape, settle the role (configured, else inferred from the sample names) and parse only
    the families that role's checks ``reads``."""
    response = await session.get(target.url, accept=ACCEPT)
    check_status(response)
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in TEXT_TYPES:
        raise ProbeError(target.url, f"expected Prometheus text, got content-type {ctype!r}")
    text = response.text
    role = target.role
    try:
        if role is None:
            names: list[str] = []
            _select(text, (), names)
            role = infer_role(names)
        scrape = parse(text, ctype, reads.get(role, ()) if role else ())
    except (ValueError, KeyError, IndexError) as exc:
        raise ProbeError(target.url, f"malformed metrics text ({exc})") from exc
    if not scrape.series:
        raise ProbeError(target.url, "empty metrics page (no samples)")
    return Scrape(scrape.samples, scrape.series, role)
