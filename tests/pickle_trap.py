"""A pickle whose loading is seen (no tests here): ``pickled(tag)`` is the pickle of an object
whose ``__reduce__`` names ``record_call``, so loading it anywhere in the test process appends
``tag`` to ``CALLS``. Tests plant it where a reader must never unpickle and assert ``CALLS``
stays empty."""

from __future__ import annotations

import pickle

CALLS: list[str] = []
"""What the planted pickles' callable recorded."""


def record_call(tag: str) -> str:
    """The callable a planted pickle names: loading it appends ``tag`` to ``CALLS``."""
    CALLS.append(tag)
    return tag


class Payload:
    """An object whose pickle calls ``record_call(tag)`` when it is loaded."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __reduce__(self):
        return (record_call, (self.tag,))


def pickled(tag: str) -> bytes:
    """The pickle of ``Payload(tag)``; loading it really calls ``record_call``."""
    return pickle.dumps(Payload(tag))


def armed() -> None:
    """Empty ``CALLS`` after checking a planted pickle really records when loaded."""
    CALLS.clear()
    assert pickle.loads(pickled("probe")) == "probe" and CALLS == ["probe"]
    CALLS.clear()
