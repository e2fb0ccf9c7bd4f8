"""The probe's fast path for plain exposition lines (``metrics._plain_samples``) gives exactly
what prometheus_client's text parser gives, or steps aside (None) for the library to parse."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from support.paths import DATA

from l2kit.monitor import checks_metrics, metrics

Samples = dict[str, list[tuple[dict[str, str], float]]]


def _library(body: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), float(s.value)))
    return out


def _same(a: Samples, b: Samples) -> bool:
    """Equality with NaN equal to NaN."""

    def norm(s: Samples) -> dict[str, list[tuple[dict[str, str], str]]]:
        return {
            k: [(lab, "nan" if math.isnan(v) else repr(v)) for lab, v in vs] for k, vs in s.items()
        }

    return norm(a) == norm(b)


NAMES = ["up", "fp_x", "fp_x_total", "fp_x_count", "fp_x_sum", "fp_x_bucket", "a:b", "__name__"]
# Plain shapes most of the time (the fast path answers), tricky ones often enough.
PLAIN_TEXT = st.text(alphabet=st.sampled_from("ab ,={}\u00e9:"), max_size=6)
LABEL_TEXT = st.one_of(
    PLAIN_TEXT, PLAIN_TEXT, PLAIN_TEXT, st.text(alphabet=st.sampled_from('a"\\\n\t'), max_size=4)
)
VALUES = st.one_of(
    st.floats(width=64).map(repr),
    st.floats(width=64).map(repr),
    st.integers(0, 10**6).map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["+Inf", "-Inf", "NaN", "Inf", "1e3", ".5", "5.", "1_0", "0x1", "+1", " 1"]),
)


def _sample_line(t: tuple[str, list[tuple[str, str]], str, str, str]) -> str:
    name, labels, comma, value, stamp = t
    if not labels and not comma:
        return f"{name} {value}{stamp}"
    pairs = ",".join(k + '="' + v + '"' for k, v in labels)
    return f"{name}{{{pairs}{comma}}} {value}{stamp}"


LINE = st.one_of(
    st.tuples(
        st.sampled_from(NAMES),
        st.lists(st.tuples(st.sampled_from(["a", "b", "le", "__name__"]), LABEL_TEXT), max_size=3),
        st.sampled_from(["", "", "", ","]),
        VALUES,
        st.sampled_from(["", "", "", " 1700000000000", " -5", " x", "  1"]),
    ).map(_sample_line),
    st.tuples(
        st.sampled_from(NAMES[:-1]),
        st.sampled_from(["counter", "gauge", "summary", "histogram", "untyped", "info"]),
    ).map(lambda t: f"# TYPE {t[0]} {t[1]}"),
    st.sampled_from(["# EOF", "# UNIT fp_x seconds", "", "", "# HELP fp_x help", "#"]),
)


@settings(max_examples=600)
@given(st.lists(LINE, max_size=8))
@example(["# TYPE fp_x counter", "fp_x 1", "fp_x 2"])
@example(["# TYPE fp_x gauge", "fp_x 1", "# TYPE fp_x counter"])
@example(["# TYPE fp_x histogram", 'fp_x_bucket{le="1"} 1', "fp_x_sum 2", "fp_x 3"])
@example(['up{a="x",} 1', "up{} 2", "up{,} 3"])
def test_the_fast_path_equals_the_library_or_steps_aside(lines: list[str]) -> None:
    body = "\n".join(lines) + "\n"
    fast = metrics._plain_samples(body)
    if fast is None:
        return
    assert _same(fast, _library(body))


TEXT_PAGES = sorted(p.name for p in (DATA / "monitor" / "metrics").glob("*.prom"))


@pytest.mark.parametrize("page", TEXT_PAGES)
def test_recorded_pages_take_the_fast_path(page: str) -> None:
    """The components' real text pages are plain: the probe parses them without the library
    (OpenMetrics pages always go to the library)."""
    text = (DATA / "monitor" / "metrics" / page).read_text()
    for keep in checks_metrics.READS.values():
        body, _ = metrics._select(text, keep)
        fast = metrics._plain_samples(body)
        assert fast is not None, page
        assert _same(fast, _library(body))
