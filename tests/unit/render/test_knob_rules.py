"""The knob rules in Python (the chart's Go helpers are checked against them by the chart tests)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from l2kit.render.knobs import image_of, image_parts, merge_overwrite, merged
from l2kit.spec.patterns import IMAGE

_PART = st.from_regex(r"[a-z0-9]([a-z0-9_-]{0,8}[a-z0-9])?", fullmatch=True)
_TAG = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}", fullmatch=True)
_REGISTRY = st.one_of(
    st.just(""),
    st.just("localhost"),
    st.just("localhost:5000"),
    st.from_regex(r"[a-z0-9]{1,6}\.[a-z]{2,4}(:[0-9]{2,5})?", fullmatch=True),
)
_DIGEST = st.one_of(st.just(""), st.from_regex(r"@sha256:[0-9a-f]{64}", fullmatch=True))


@given(_REGISTRY, st.lists(_PART, min_size=1, max_size=3), _TAG, _DIGEST)
def test_image_parts_round_trip_and_swap(
    registry: str, path: list[str], tag: str, digest: str
) -> None:
    repo = "/".join(path)
    image = f"{registry + '/' if registry else ''}{repo}:{tag}{digest}"
    if registry == "" and "." in path[0] and len(path) > 1:
        return  # the first path segment would be a registry: not a docker.io repository
    assert IMAGE.match(image)
    parts = {**image_parts(image), "own": True}
    assert parts["repository"] == repo and parts["tag"] == f"{tag}{digest}"
    assert image_of(parts, {}, {}) == image
    assert image_of(parts, {"image": {"tag": "v1"}}, {}).endswith(f"{repo}:v1")
    assert image_of({**parts, "own": False}, {"image": {"tag": "v1"}}, {}) == image
    assert (
        image_of(parts, {}, {"imageRegistry": "mirror:5000"}) == f"mirror:5000/{repo}:{tag}{digest}"
    )


def test_merge_overwrite_is_sprigs() -> None:
    """Maps merge recursively; lists, scalars and empty values replace (as Helm's sprig)."""
    dst = {"a": {"x": 1, "y": [1, 2]}, "s": "keep", "n": 5}
    src = {"a": {"y": [3], "z": {}}, "s": "", "n": 0}
    assert merge_overwrite(dst, src) == {"a": {"x": 1, "y": [3], "z": {}}, "s": "", "n": 0}


def test_user_knobs_replace_the_spec_key_by_key_and_empties_change_nothing() -> None:
    spec = {"bitcoind": {"nodeSelector": {"a": "1"}, "priorityClassName": "p"}}
    user = {
        "bitcoind": {"nodeSelector": {"b": "2"}, "priorityClassName": "", "tolerations": []},
        "global": {"imageRegistry": ""},
        "miner": {},
    }
    assert merged(spec, user) == {
        "bitcoind": {"nodeSelector": {"b": "2"}, "priorityClassName": "p"}
    }
