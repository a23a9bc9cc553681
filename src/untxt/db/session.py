"""The database handle: one engine per process, read and write sessions.

On SQLite, write transactions start with ``BEGIN IMMEDIATE`` so that concurrent
writers queue instead of failing when a read lock cannot be upgraded, and they
queue on a :class:`~untxt.db.writelock.WriteLock` first; reads stay deferred
and never block under WAL.

On PostgreSQL a write block of one statement can run without ``BEGIN`` and
``COMMIT`` (see :meth:`Database.write`): psycopg sends each as a round trip of its
own, and a statement alone is atomic and durable already.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from untxt.db.checkpoint import Checkpointer
from untxt.db.writelock import WriteLock

_WRITE_OPTION = "untxt_write"
# INSERT constructs with ON CONFLICT clauses, by dialect name.
DIALECT_INSERTS: dict[str, Callable[[Table], Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}
_SQLITE_BUSY_TIMEOUT_S = 30
_CONNECT_TIMEOUT_S = 5
# Enough pooled connections for the API's thread pool, so none is opened per request.
_SQLITE_POOL_SIZE = 40
# Bytes of write-ahead log kept on disk once the log starts over: a few hundred commits.
_WAL_SIZE_LIMIT = 64 * 1024 * 1024
_LAST_USED = "untxt_last_used"
#: Where a write block of one statement keeps its :class:`_OneWrite`: its connection's ``info``.
_ONE_WRITE = "untxt_one_write"
#: A pooled connection idle this long is tested before use.
_PING_AFTER_IDLE_S = 1.0
#: Connections that :meth:`Database.statements` keeps between its blocks, out of the pool.
_KEPT_FOR_STATEMENTS = 1


def normalize_url(url: str) -> URL:
    """Parse ``url``, choosing psycopg 3 for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


class Database:
    """An engine plus session factories; create one per process."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.dialect = self.url.get_backend_name()
        kwargs: dict[str, Any] = {}
        if self.dialect == "sqlite":
            database = self.url.database
            if not database or database == ":memory:":
                raise ValueError("untxt needs a SQLite file, shared by its processes")
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {
                "check_same_thread": False,
                "timeout": _SQLITE_BUSY_TIMEOUT_S,
            }
            kwargs["pool_size"] = _SQLITE_POOL_SIZE
            kwargs["max_overflow"] = _SQLITE_POOL_SIZE
            # The connection used last is handed out first: SQLite keeps a page cache per
            # connection, valid until another connection writes, so the warm one
            # reads the pages of the next transaction from memory rather than the file.
            kwargs["pool_use_lifo"] = True
        else:
            # Fail fast rather than hang while the server is away.
            kwargs["connect_args"] = {"connect_timeout": _CONNECT_TIMEOUT_S}
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect == "postgresql":
            _ping_when_idle(self.engine)
            _guard_one_write(self.engine)
        self._write_lock: WriteLock | nullcontext[None] = nullcontext()
        self._checkpoints: Checkpointer | None = None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
            self._write_lock = WriteLock(Path(f"{database}.write-lock"))
            self._checkpoints = Checkpointer(self.engine)
            raw = self.engine.raw_connection()
            try:  # persistent in the file, so once per process is plenty
                raw.cursor().execute("PRAGMA journal_mode=WAL")
            finally:
                raw.close()
        self._kept = _KeptConnections(self.engine)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads; it is rolled back at the end."""
        with self._read() as session:
            yield session

    @contextmanager
    def write(self, *, one_statement: bool = False) -> Iterator[Session]:
        """A session in a write transaction, committed when the block ends without error.

        With ``one_statement`` the block writes with one statement at most, after any
        number of plain reads. On PostgreSQL it then runs each statement on its own,
        without ``BEGIN`` and ``COMMIT``: as atomic and durable, two round trips fewer
        (of a submit's three), and the same to the reads, each of which sees what was
        committed when it began, as in a transaction at READ COMMITTED. A block that
        finds it must write more calls :func:`transaction` before its first write; a
        second write without it raises before it runs.
        """
        with self._write_lock:
            with self._write.begin() as session:
                if one_statement and self.dialect == "postgresql":
                    with _autocommit(session.connection()):
                        yield session
                else:
                    yield session
            if self._checkpoints is not None:
                self._checkpoints.committed()

    @contextmanager
    def statements(self) -> Iterator[Connection]:
        """A connection whose statements each commit on their own, without a session
        (PostgreSQL only): for a block of plain reads and one write at most, as a write
        block of ``one_statement`` (a second write raises before it runs).

        A session's transaction and its commit hooks cost an enqueue a sixth to a third
        of its CPU (bench/README.md). So the block tells what its write committed itself
        (:func:`untxt.queue.outbox.events_committed`), and anything that needs more
        than its one write goes to :meth:`write` instead. The connection of a block
        that ended well is kept for the next, in autocommit: a checkout from the pool
        and back cost an enqueue as much again.
        """
        if self.dialect != "postgresql":
            raise ValueError("statements on their own are PostgreSQL's")
        connection = self._kept.take()
        connection.info[_ONE_WRITE] = _OneWrite()
        try:
            yield connection
        except BaseException:
            _KeptConnections.give_back(connection)
            raise
        self._kept.keep(connection)

    def conninfo(self) -> str:
        """The URL as libpq understands it (PostgreSQL only), for connections of our own."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def ping(self) -> None:
        """Raise unless the database answers."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close pooled connections (after fork, or at shutdown)."""
        if self._checkpoints is not None:
            self._checkpoints.stop()
        self._kept.close()
        self.engine.dispose()


class _OneWrite:
    """Whether a write block of one statement has written."""

    def __init__(self) -> None:
        self.written = False


class _KeptConnections:
    """Connections in autocommit kept between blocks of :meth:`Database.statements`, at
    most :data:`_KEPT_FOR_STATEMENTS`, each with when it was last used."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._idle: list[tuple[Connection, float]] = []

    def take(self) -> Connection:
        """A kept connection, tested first if it has lain idle (as the pool tests its
        own), or one from the pool, switched to autocommit."""
        with self._lock:
            connection, used = self._idle.pop() if self._idle else (None, 0.0)
        if connection is not None:
            if time.monotonic() - used < _PING_AFTER_IDLE_S or self._alive(connection):
                return connection
            connection.invalidate()
            connection.close()
        connection = self._engine.connect()
        connection.connection.driver_connection.autocommit = True  # type: ignore[union-attr]
        return connection

    def _alive(self, connection: Connection) -> bool:
        dbapi = connection.connection.dbapi_connection
        try:
            return dbapi is not None and bool(self._engine.dialect.do_ping(dbapi))
        except Exception:
            return False

    def keep(self, connection: Connection) -> None:
        """Keep ``connection`` for the next block, or give it back to the pool."""
        connection.info.pop(_ONE_WRITE, None)
        if not connection.invalidated:
            with self._lock:
                if len(self._idle) < _KEPT_FOR_STATEMENTS:
                    self._idle.append((connection, time.monotonic()))
                    return
        self.give_back(connection)

    @staticmethod
    def give_back(connection: Connection) -> None:
        """Return ``connection`` to the pool as the pool hands them out: in a transaction
        of its own (a lost one is dropped by the pool)."""
        connection.info.pop(_ONE_WRITE, None)
        if not connection.invalidated:
            _back_to_transactions(connection.connection.driver_connection)
        connection.close()

    def close(self) -> None:
        """Give every kept connection back (before the pool is disposed)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            self.give_back(connection)


@contextmanager
def _autocommit(connection: Connection) -> Iterator[None]:
    """Run the block's statements on ``connection`` each on its own.

    The driver's own switch, set and put back here, and a mark in the connection's
    ``info`` for the guard: SQLAlchemy's isolation level and execution options, which
    it sets and resets at each checkout, cost some 40 µs of Python a block.
    """
    driver = connection.connection.driver_connection
    info = connection.info
    info[_ONE_WRITE] = _OneWrite()
    driver.autocommit = True  # type: ignore[union-attr]
    try:
        yield
    finally:
        info.pop(_ONE_WRITE, None)
        # transaction() may have turned it off already.
        _back_to_transactions(driver)


def _back_to_transactions(driver: Any) -> None:
    """Turn the driver's autocommit off, as the pool hands connections out; a closed
    connection is left as it is (the pool drops it)."""
    if driver.autocommit and not driver.closed:
        driver.autocommit = False


def transaction(session: Session) -> None:
    """Make the rest of a write block one transaction, in a block opened with
    ``one_statement`` (see :meth:`Database.write`) that finds it must write more: before
    any statement of it has changed a row (a statement that wrote nothing, such as a
    submit that found a result to reuse, may come before)."""
    connection = session.connection()
    if _ONE_WRITE not in connection.info:
        return
    # psycopg begins a transaction before the next statement; the session's commit or
    # rollback at the end of the block ends it, as in any write block.
    connection.connection.driver_connection.autocommit = False  # type: ignore[union-attr]


def _guard_one_write(engine: Engine) -> None:
    """Refuse a second write in a block of one statement, which would commit apart."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(
        conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool
    ) -> None:
        one_write = conn.info.get(_ONE_WRITE)
        if one_write is None or not conn.connection.driver_connection.autocommit:
            return
        compiled = context.compiled if context is not None else None  # none: a DriverStatement
        statement = compiled.statement if compiled is not None else None
        if isinstance(statement, Select) and statement._for_update_arg is None:
            return  # a plain read
        if one_write.written:
            raise RuntimeError(
                "a second write in a block of one statement; call transaction() before the first"
            )
        one_write.written = True


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use when it has lain idle a while.

    Pooled connections die with a server restart. A ping before every use (the pool's
    ``pre_ping``) is a round trip per transaction, a sixth of a submit's time; one in
    use a moment ago is alive, and if the server went just then, the statement's error
    tells the pool to drop all its connections at once.
    """

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _used(_dbapi_conn: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < _PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError("the pooled connection is dead") from exc
        if not alive:
            raise DisconnectionError("the pooled connection is dead")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        # NORMAL under WAL: commits survive a process crash; an OS crash may lose the last few.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Checkpoints are taken outside the write lock instead (untxt.db.checkpoint).
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        # A log that a long read kept from starting over is cut back when it does.
        cursor.execute(f"PRAGMA journal_size_limit={_WAL_SIZE_LIMIT}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION)
        # On the driver's connection: a statement through SQLAlchemy costs more than BEGIN.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
