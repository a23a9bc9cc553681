"""Prebuilt statements run on the driver's connection, for the hottest writes on SQLite.

SQLAlchemy spends about as much on executing a small statement as SQLite spends
on running it (the compiled cache lookup, an execution context, a result object).
A :class:`DriverStatement` is compiled once per dialect and set of columns; it
then runs on the DBAPI connection of a transaction, its parameters
and the columns it returns converted by the same type processors that SQLAlchemy
would apply, so what it stores and returns is what a Core execute stores and
returns. Only for positional paramstyles (SQLite's ``qmark``): PostgreSQL's hot
paths are single statements already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import Executable

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    """One statement's SQL, with how to bind its parameters and read its returned columns."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[_Processor, ...]
    # Values of binds that no parameter gives: literals and scalar column defaults.
    fixed: Mapping[str, Any]
    results: tuple[_Processor, ...]

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional parameters for ``params``, converted as their types convert them."""
        fixed = self.fixed
        values = []
        for name, process in zip(self.names, self.binds, strict=True):
            value = params[name] if name in params else fixed[name]
            values.append(value if process is None else process(value))
        return tuple(values)

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        """A returned row, converted as its columns' types convert them."""
        return tuple(
            value if process is None else process(value)
            for value, process in zip(raw, self.results, strict=True)
        )


def _compile(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
    if not compiled.positional:
        raise ValueError(f"{dialect.name}: DriverStatement takes positional paramstyles only")
    fixed: dict[str, Any] = {}
    for column in compiled.insert_prefetch + compiled.update_prefetch:
        default = column.default if column.key not in keys else None
        if default is not None and not default.is_scalar:
            raise ValueError(f"column {column.key}: only scalar defaults are known here")
        if default is not None:
            fixed[column.key] = default.arg
    for name, bind in compiled.binds.items():
        if name not in keys and name not in fixed and not bind.required:
            fixed[name] = bind.effective_value
    names = tuple(compiled.positiontup)
    missing = [name for name in names if name not in keys and name not in fixed]
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    # The dialect's own implementation of each type: the generic one may convert nothing.
    binds = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in compiled.returning or ()
    )
    return _Compiled(compiled.string, names, binds, fixed, results)


class DriverStatement:
    """A prebuilt Core statement executed on the DBAPI connection of a SQLAlchemy connection."""

    def __init__(self, statement: Executable) -> None:
        self._statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def _for(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        compiled = self._compiled.get((dialect.name, keys))
        if compiled is None:
            compiled = _compile(self._statement, dialect, keys)
            # Racing threads may both compile; either result is the same.
            self._compiled[(dialect.name, keys)] = compiled
        return compiled

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run the statement once in the connection's transaction; the rows it returns."""
        compiled = self._for(connection.dialect, tuple(params))
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, compiled.parameters(params))
            return [compiled.row(raw) for raw in cursor.fetchall()] if compiled.results else []
        finally:
            cursor.close()

    def execute_many(self, connection: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        """Run the statement once per row (all with the first row's keys), returning nothing."""
        rows = list(rows)
        if not rows:
            return
        compiled = self._for(connection.dialect, tuple(rows[0]))
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(compiled.sql, [compiled.parameters(row) for row in rows])
        finally:
            cursor.close()
