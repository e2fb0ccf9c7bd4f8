"""``l2kit.frozen.frozen`` behaves as ``dataclasses.dataclass(frozen=True)`` does, checked
side by side on the same class bodies (construction, defaults, equality, hashing, repr,
frozenness, ``__post_init__``, mixins and frozen bases)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2kit.frozen import frozen

MAKERS = [dataclasses.dataclass(frozen=True), frozen]


class _Mixin:
    """Not frozen: its annotations are not fields, its methods are inherited."""

    value: int

    @property
    def doubled(self) -> int:
        return self.value * 2


def _classes(make: Any) -> dict[str, Any]:
    @make
    class Point(_Mixin):
        """Two fields, one default."""

        label: str
        value: int = 7
        kind: ClassVar[str] = "point"

    @make
    class Checked:
        """``__post_init__`` validates and normalises through ``object.__setattr__``."""

        txid: str
        vout: int

        def __post_init__(self) -> None:
            if self.vout < 0:
                raise ValueError("vout")
            object.__setattr__(self, "txid", self.txid.lower())

        def __str__(self) -> str:
            return f"{self.txid}:{self.vout}"

    @make
    class Child(Point):
        """A frozen base's fields come first."""

        extra: tuple[int, ...] = ()

    return {"Point": Point, "Checked": Checked, "Child": Child}


DC, REC = (_classes(make) for make in MAKERS)
values = st.one_of(st.integers(), st.text(max_size=5), st.tuples(st.integers()), st.none())


def _outcome(fn: Any) -> tuple[str, Any]:
    try:
        return "ok", fn()
    except Exception as exc:  # the type is what must agree
        return "raised", type(exc).__name__


@given(
    name=st.sampled_from(["Point", "Checked", "Child"]),
    args=st.lists(values, max_size=4),
    kwargs=st.dictionaries(
        st.sampled_from(["label", "value", "txid", "vout", "extra", "x"]), values
    ),
)
def test_construction_repr_str_eq_and_hash_agree_with_dataclasses(
    name: str, args: list[Any], kwargs: dict[str, Any]
) -> None:
    made = [_outcome(lambda c=classes[name]: c(*args, **kwargs)) for classes in (DC, REC)]
    assert [status for status, _ in made] == [made[0][0]] * 2
    if made[0][0] == "raised":
        assert made[0][1] == made[1][1]
        return
    dc, rec = made[0][1], made[1][1]
    assert repr(dc) == repr(rec)
    assert str(dc) == str(rec)
    twin = type(rec)(*args, **kwargs)
    assert rec == twin and hash(rec) == hash(twin)
    assert (rec == dc) is False  # another class, as between two dataclasses
    if name != "Checked":  # the mixin's property, on either
        assert _outcome(lambda: rec.doubled) == _outcome(lambda: dc.doubled)


@pytest.mark.parametrize("classes", [DC, REC], ids=["dataclass", "frozen"])
def test_frozen_fields_defaults_and_classvars(classes: dict[str, Any]) -> None:
    point = classes["Point"]("a")
    assert (point.label, point.value, point.kind) == ("a", 7, "point")
    with pytest.raises(AttributeError):
        point.label = "b"
    with pytest.raises(AttributeError):
        del point.value
    assert classes["Point"]("a") != classes["Point"]("a", 8)
    assert len({classes["Point"]("a"), classes["Point"]("a"), classes["Point"]("b")}) == 2
    assert classes["Child"]("a", 1, (2,)).extra == (2,)
    assert classes["Child"].__match_args__ == ("label", "value", "extra")
    assert str(classes["Checked"]("AB", 1)) == "ab:1"


def test_a_field_without_default_after_one_with_is_refused_as_dataclasses_does() -> None:
    for make in MAKERS:
        with pytest.raises(TypeError):

            @make
            class Bad:
                a: int = 1
                b: int
