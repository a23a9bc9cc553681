"""One error tree: every UntxtError subclass is drawn in untxt.errors' docstring, every
problem type is listed in docs/errors.md, and the public ones are exported by untxt."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import untxt
from untxt import errors
from untxt.errors import UntxtError

DOCS = Path(__file__).parent.parent / "docs" / "errors.md"


def _subclasses(cls: type[UntxtError]) -> set[type[UntxtError]]:
    found = set()
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("untxt."):
            found |= {sub, *_subclasses(sub)}
    return found


def _every_error() -> set[type[UntxtError]]:
    for module in pkgutil.walk_packages(untxt.__path__, "untxt."):
        # The migration environment runs migrations when it is imported.
        if not module.name.startswith("untxt.db.migrations"):
            importlib.import_module(module.name)
    return _subclasses(UntxtError)


def test_every_error_is_drawn_in_the_tree() -> None:
    drawn = set(re.findall(r"[├└]── (\w+)", errors.__doc__ or ""))
    assert {cls.__name__ for cls in _every_error()} - drawn == set()


def test_every_problem_type_is_listed_in_the_docs() -> None:
    """Errors of status 500 end as a failed job's reason (or an internal error), and two
    bases are never raised themselves: the rest are problems the API answers with."""
    listed = set(re.findall(r"`/problems/([a-z0-9-]+)`", DOCS.read_text()))
    answered = {
        cls for cls in _every_error() if cls.status != 500 and cls.__module__ != "untxt.client"
    } - {errors.InputError, errors.QuotaExceededError}
    assert {cls.problem for cls in answered} - listed == set()


def test_the_errors_a_caller_meets_are_exported_by_untxt() -> None:
    public = {
        cls.__name__ for cls in _every_error() if cls.__module__ in ("untxt.errors", "untxt.client")
    }
    assert public - set(untxt.__all__) == set()
