"""``@frozen``: a frozen value class, like ``@dataclass(frozen=True)``, for the modules that the
fast-lane commands (``stake conformance``, ``stake address``, ``init``) import.

Why not dataclasses there: importing ``dataclasses`` imports ``inspect`` (with ast, dis,
tokenize), and each frozen dataclass compiles six generated methods when its module loads;
together about a third of such a command's whole process (benches/startup_bench.py). Here the
methods are closures, made without compiling anything: defining a class costs microseconds.

It does what a frozen dataclass with default options does: fields are the class's own
annotations (after those of ``@frozen`` bases), in order; methods the class defines itself are
kept; ``__init__`` takes the fields positionally or by name, with class-level defaults
(immutable values only: no ``field()``), then calls ``__post_init__`` if defined; ``==``
compares the fields of two instances of the same class; ``hash`` hashes the fields; ``repr`` is
``Name(field=value, ...)``; setting or deleting an attribute raises ``AttributeError``.
``dataclasses.fields``/``replace``/``asdict`` do not apply. ``tests/unit/core/test_frozen.py``
checks this against ``dataclasses`` itself.
"""

from __future__ import annotations

from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


def _fields(cls: type) -> tuple[str, ...]:
    inherited = [
        name for base in reversed(cls.__mro__[1:]) for name in vars(base).get("_fields_", ())
    ]
    own = [
        name
        for name, note in vars(cls).get("__annotations__", {}).items()
        if "ClassVar" not in str(note) and name not in inherited
    ]
    return tuple(dict.fromkeys([*inherited, *own]))


@dataclass_transform(frozen_default=True)
def frozen(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen value class (see the module docstring)."""
    names = _fields(cls)
    defaults = {name: getattr(cls, name) for name in names if hasattr(cls, name)}
    seen_default = False
    for name in names:
        if name in defaults:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default field {name!r} follows a default field")
    post_init = getattr(cls, "__post_init__", None)
    qualname = cls.__qualname__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if not kwargs and len(args) == len(names):  # the common call: every field, in order
            self.__dict__.update(zip(names, args, strict=True))
            if post_init is not None:
                post_init(self)
            return
        if len(args) > len(names):
            raise TypeError(f"{qualname}() takes {len(names)} arguments, {len(args)} given")
        values = dict(zip(names, args, strict=False))
        for name, value in kwargs.items():
            if name not in names:
                raise TypeError(f"{qualname}() got an unexpected keyword argument {name!r}")
            if name in values:
                raise TypeError(f"{qualname}() got multiple values for argument {name!r}")
            values[name] = value
        for name in names:
            if name not in values:
                if name not in defaults:
                    raise TypeError(f"{qualname}() missing required argument {name!r}")
                values[name] = defaults[name]
        self.__dict__.update(values)
        if post_init is not None:
            post_init(self)

    def _values(self: Any) -> tuple[Any, ...]:
        return tuple(self.__dict__[name] for name in names)

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(_values(self) == _values(other))

    def __hash__(self: Any) -> int:
        return hash(_values(self))

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={self.__dict__[name]!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    def __setattr__(self: Any, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of frozen {qualname}")

    def __delattr__(self: Any, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of frozen {qualname}")

    methods = {
        "__init__": __init__,
        "__eq__": __eq__,
        "__hash__": __hash__,
        "__repr__": __repr__,
        "__setattr__": __setattr__,
        "__delattr__": __delattr__,
    }
    for name, method in methods.items():
        if name in ("__setattr__", "__delattr__") and name in vars(cls):
            raise TypeError(f"cannot overwrite attribute {name} in frozen {qualname}")
        if name not in vars(cls) or (name == "__hash__" and vars(cls)[name] is None):
            method.__qualname__ = f"{qualname}.{name}"
            setattr(cls, name, method)
    cls._fields_ = names  # type: ignore[attr-defined]
    cls.__match_args__ = names  # type: ignore[attr-defined,misc]
    return cls
