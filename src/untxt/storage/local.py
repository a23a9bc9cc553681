"""Blobs as files in a local folder (the embedded default)."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from untxt.storage.base import BlobInfo, BlobNotFoundError, BlobStore, Staged, check_key

# Prefix of the files put() and stage() write before renaming them into place.
_TMP_PREFIX = ".tmp-"
# The file check() writes and removes at the root.
_PROBE = ".ready"
# Threads that write staged blobs: a few uploads at once per process.
_STAGING_THREADS = 4


class LocalBlobStore(BlobStore):
    """Files under ``root``, written to a temporary name, fsynced, then renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._executor_lock = threading.Lock()
        self._staging: ThreadPoolExecutor | None = None
        self._staging_pid = 0

    def _path(self, key: str) -> Path:
        # Checked by spelling rather than by resolving the path: resolving costs a
        # system call per path component.
        return self.root.joinpath(*check_key(key))

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = _tmp_name(path.parent)
        _retry_in_folder(path.parent, lambda: _write_synced(tmp, data))
        try:
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def stage(self, data: bytes) -> Staged:
        """Write ``data`` to a file of its own at the root and fsync it on a thread of the
        store's, while the caller works out the key; ``place`` renames the file into
        place, and ``settle`` waits for the fsync.

        An upload's fsync is about a fifth of its submit on a local disk, and the caller
        has the hash to compute, the upload to check and its rows to write meanwhile.
        The file is written here, not on the thread: a thread's every return from a
        system call waits for the interpreter lock, which the caller holds while it works.
        """
        tmp = _tmp_name(self.root)
        fd = _write_unsynced(tmp, data)
        return _LocalStaged(self, tmp, self._executor().submit(_sync_and_close, fd))

    def _executor(self) -> ThreadPoolExecutor:
        # Made in the process that uses it: threads do not cross a fork.
        with self._executor_lock:
            if self._staging is None or self._staging_pid != os.getpid():
                self._staging = ThreadPoolExecutor(_STAGING_THREADS, "untxt-blob-stage")
                self._staging_pid = os.getpid()
            return self._staging

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFoundError(f"no blob {key!r}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # Prune emptied folders, or every deleted job would leave two behind for
        # listings to walk; put() tolerates a folder pruned under it.
        for folder in path.parents:
            if folder == self.root:
                break
            try:
                folder.rmdir()
            except OSError:  # not empty, or gone already
                break

    def check(self) -> None:
        probe = self.root / _PROBE
        probe.write_bytes(b"ok")
        probe.unlink()

    def iter_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        # Walk only the folder the prefix ends in, not the whole store.
        head = prefix.rpartition("/")[0]
        stack = [(self._path(head), f"{head}/") if head else (self.root, "")]
        while stack:
            folder, base = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                key = base + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if f"{key}/".startswith(prefix):
                        stack.append((Path(entry.path), f"{key}/"))
                    continue
                if (
                    entry.name.startswith(_TMP_PREFIX)
                    or key == _PROBE
                    or not key.startswith(prefix)
                ):
                    continue
                try:
                    stat = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # deleted since the folder was read
                    continue
                yield BlobInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))


def _tmp_name(folder: Path) -> Path:
    # A random name of our own: tempfile.mkstemp costs as much again as the write.
    return folder / f"{_TMP_PREFIX}{secrets.token_hex(8)}"


def _write_synced(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``, on the device when this returns."""
    _sync_and_close(_write_unsynced(path, data))


def _write_unsynced(path: Path, data: bytes) -> int:
    """Create ``path`` with ``data`` (readers see all of it from now on); its open file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    return fd


def _sync_and_close(fd: int) -> None:
    """Put what ``fd`` holds on the device, and close it."""
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _retry_in_folder(folder: Path, step: Callable[[], None]) -> None:
    """Run ``step``, which makes a file in ``folder``, making the folder when it is missing
    (not there yet, or pruned, emptied, by a delete under us)."""
    for attempt in range(3):
        try:
            step()
            return
        except FileNotFoundError:
            if attempt == 2:
                raise
            folder.mkdir(parents=True, exist_ok=True)


class _LocalStaged(Staged):
    """A blob written to ``tmp`` at the store's root, on its way to the device."""

    def __init__(self, store: LocalBlobStore, tmp: Path, synced: Future[None]) -> None:
        self._local = store
        self._tmp = tmp
        self._synced = synced

    def place(self, key: str) -> None:
        try:
            path = self._local._path(key)
            _retry_in_folder(path.parent, lambda: os.replace(self._tmp, path))
        except BaseException:
            self.discard()
            raise

    def settling(self) -> Future[None]:
        return self._synced

    def discard(self) -> None:
        # Once synced (or failed), so that no file is left open.
        self._synced.exception()
        self._tmp.unlink(missing_ok=True)
