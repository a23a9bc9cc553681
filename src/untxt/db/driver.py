"""Prebuilt statements run on the driver's connection, for the hottest statements.

SQLAlchemy spends about as much on executing a small statement as SQLite spends
on running it (the compiled cache lookup, an execution context, a result object),
and on PostgreSQL about 0.1 ms of CPU a statement more than psycopg alone, most of
it matching the returned columns to the statement's. A :class:`DriverStatement` is
compiled once per dialect and set of columns; it then runs on the DBAPI connection
of a transaction, its parameters and the columns it returns converted by the same
type processors that SQLAlchemy would apply, so what it stores and returns is what
a Core execute stores and returns: rows whose fields are named as the columns.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Shape:
    """What a statement returns: its row type and how to convert each column, or no rows."""

    row_type: Any | None
    processors: tuple[_Processor, ...] = ()


@dataclass
class _Compiled:
    """One statement's SQL, with how to bind its parameters and read its returned columns."""

    sql: str
    positional: bool
    names: tuple[str, ...]
    binds: tuple[_Processor, ...]
    # Values of binds that no parameter gives: literals and scalar column defaults.
    fixed: Mapping[str, Any]
    # How to convert a returned column, by its name: those of a RETURNING clause, or
    # those a textual statement declares (the others come as the driver gives them).
    results: Mapping[str, _Processor]
    # Learnt from the cursor at the first run: its ``description`` is rebuilt at each
    # look (psycopg makes an object per column), and the same SQL returns the same columns.
    shape: _Shape | None = None

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The parameters for ``params`` in the paramstyle's shape, converted as their
        types convert them."""
        fixed = self.fixed
        values = []
        for name, process in zip(self.names, self.binds, strict=True):
            value = params[name] if name in params else fixed[name]
            values.append(value if process is None else process(value))
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))

    def rows(self, cursor: Any) -> list[Any]:
        """The rows the cursor's statement returned, each a named tuple, converted as
        their columns' types convert them; none for a statement that returns no rows."""
        shape = self.shape
        if shape is None:
            description = cursor.description
            if description is None:
                shape = _Shape(None)
            else:
                columns = tuple(column[0] for column in description)
                processors = tuple(self.results.get(name) for name in columns)
                # Names that repeat or are no identifiers become _1, _2 ... (by position).
                row_type = namedtuple("Row", columns, rename=True)  # type: ignore[misc]
                shape = _Shape(row_type, processors)
            self.shape = shape  # racing threads learn the same
        if shape.row_type is None:
            return []
        make = shape.row_type._make
        if not any(shape.processors):
            return [make(raw) for raw in cursor.fetchall()]
        return [
            make(
                value if process is None else process(value)
                for value, process in zip(raw, shape.processors, strict=True)
            )
            for raw in cursor.fetchall()
        ]


def _compile(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
    if compiled.escaped_bind_names:
        raise ValueError("bind names that the paramstyle escapes are not supported")
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
    names = tuple(compiled.positiontup if compiled.positional else compiled.binds)
    missing = [name for name in names if name not in keys and name not in fixed]
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    # The dialect's own implementation of each type: the generic one may convert nothing.
    binds = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    declared = (
        [(column.name, column.type) for column in compiled.returning]
        if compiled.returning
        else [(entry[1], entry[3]) for entry in compiled._result_columns]
    )
    results = {
        name: type_.dialect_impl(dialect).result_processor(dialect, None)
        for name, type_ in declared
    }
    return _Compiled(compiled.string, compiled.positional, names, binds, fixed, results)


def _run(connection: Connection, sql: str, parameters: Any, *, many: bool) -> Any:
    """Execute on a new cursor of the connection's driver, as a Core execute would: the
    engine's ``before_cursor_execute`` listeners are told (with no execution context:
    the guard of a write block of one statement counts writes), and the driver's errors
    come as SQLAlchemy's (a lost server as ``OperationalError``, the API's 503), its
    connection invalidated when the server is gone. The cursor, to read and close."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    dialect = connection.dialect
    try:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, many)
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
    except dialect.loaded_dbapi.Error as exc:
        gone = dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor)
        cursor.close()
        if gone:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            sql,
            parameters,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=dialect,
        ) from exc
    except BaseException:  # a listener's refusal (the guard's) included
        cursor.close()
        raise
    return cursor


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

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Run the statement once in the connection's transaction; the rows it returns,
        named tuples (none for a statement that returns no rows)."""
        compiled = self._for(connection.dialect, tuple(params))
        cursor = _run(connection, compiled.sql, compiled.parameters(params), many=False)
        try:
            return compiled.rows(cursor)
        finally:
            cursor.close()

    def execute_many(self, connection: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        """Run the statement once per row (all with the first row's keys), returning nothing."""
        rows = list(rows)
        if not rows:
            return
        compiled = self._for(connection.dialect, tuple(rows[0]))
        parameters = [compiled.parameters(row) for row in rows]
        _run(connection, compiled.sql, parameters, many=True).close()
