"""The layers of docs/architecture.md hold: no module imports a package that stands above it.

Every module under ``src/untxt`` is read with :mod:`ast` (nothing is imported), and each
of its imports of untxt, lazy ones and those for type checking included, is checked
against :data:`LAYERS`. A package or module of untxt that no layer names fails too: a
new one is given its place here, and in docs/architecture.md, when it is added.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import untxt

SOURCE = Path(untxt.__file__).parent

#: From the bottom up; a module may import its own layer and those below it. The
#: names are untxt's top-level packages and modules; ``untxt`` is the package itself,
#: its public surface, which stands above everything.
LAYERS: list[set[str]] = [
    {
        "errors",
        "heap",
        "ids",
        "version",
        "rate_notation",
        "document",
        "config",
        "logs",
        "tracing",
        "metrics",
        "options",
        "compare",
    },
    {"ocr_models", "imaging"},
    {"engines", "formats", "extract"},
    {"pipeline"},
    {"storage"},
    {"db"},
    {"search"},
    {"queue", "ask"},
    {"events", "auth", "retention"},
    {"worker"},
    {"api", "web"},
    {
        "app",
        "server",
        "handoff",
        "http_writes",
        "cli",
        "cli_accounts",
        "cli_ask",
        "cli_fields",
        "cli_local",
        "cli_search",
        "cli_shared",
        "cli_usage",
        "client",
        "untxt",
    },
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def _module_name(path: Path) -> str:
    parts = ["untxt", *path.relative_to(SOURCE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top(module: str) -> str:
    """The layer name of ``untxt.a.b``: ``a``; of ``untxt`` itself: ``untxt``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "untxt"


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:])
    return (SOURCE / relative).is_dir() or (SOURCE / relative).with_suffix(".py").is_file()


def _imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """``(line, module)`` for each import of untxt in ``path``; ``from untxt import x``
    names the submodule ``untxt.x`` when there is one."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "untxt" or alias.name.startswith("untxt."):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if source != "untxt" and not source.startswith("untxt."):
                continue
            if source == "untxt":
                for alias in node.names:
                    submodule = f"untxt.{alias.name}"
                    yield node.lineno, submodule if _is_module(submodule) else "untxt"
            else:
                yield node.lineno, source


def _modules() -> Iterator[tuple[Path, str]]:
    for path in sorted(SOURCE.rglob("*.py")):
        yield path, _module_name(path)


def test_every_package_and_module_has_a_layer() -> None:
    present = {_top(module) for _, module in _modules()}
    assert sorted(present - set(LEVEL)) == []
    assert sorted(set(LEVEL) - present) == []  # a layer names nothing that is gone


def test_no_module_imports_a_package_above_it() -> None:
    climbs = []
    for path, module in _modules():
        own = LEVEL.get(_top(module))
        if own is None:
            continue  # reported by the test above
        for line, imported in _imports(path, module):
            level = LEVEL.get(_top(imported))
            if level is not None and level > own:
                where = f"{path.relative_to(SOURCE.parent)}:{line}"
                climbs.append(f"{where}: {module} imports {imported}")
    assert climbs == []
