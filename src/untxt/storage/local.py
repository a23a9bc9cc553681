"""Blobs as files in a local folder (the embedded default)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from untxt.storage.base import BlobInfo, BlobNotFoundError, BlobStore, check_key

# Prefix of the files put() writes before renaming them into place.
_TMP_PREFIX = ".tmp-"
# The file check() writes and removes at the root.
_PROBE = ".ready"


class LocalBlobStore(BlobStore):
    """Files under ``root``, written to a temporary name, fsynced, then renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        # Checked by spelling rather than by resolving the path: resolving costs a
        # system call per path component.
        return self.root.joinpath(*check_key(key))

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        # A random name of our own: tempfile.mkstemp costs as much again as the write.
        tmp = path.parent / f"{_TMP_PREFIX}{secrets.token_hex(8)}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        for attempt in range(3):
            try:
                fd = os.open(tmp, flags, 0o600)
                break
            except FileNotFoundError:
                # No folder yet, or a delete pruned it, emptied, under us.
                if attempt == 2:
                    raise
                path.parent.mkdir(parents=True, exist_ok=True)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

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
