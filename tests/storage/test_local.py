"""Blob stores: the local folder store, with the in-memory and S3 ones held to its contract."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from untxt.db.types import utcnow
from untxt.errors import NotFoundError
from untxt.storage import BlobNotFoundError, BlobStore, LocalBlobStore, open_storage
from untxt.storage.memory import MemoryBlobStore


@pytest.fixture(params=["local", "memory", "s3"])
def store(request: pytest.FixtureRequest, storage: LocalBlobStore) -> BlobStore:
    """Each blob store implementation, empty (S3: a real S3-compatible server over HTTP)."""
    if request.param == "s3":
        s3_store: BlobStore = request.getfixturevalue("s3_store")
        return s3_store
    return storage if request.param == "local" else MemoryBlobStore()


def test_put_then_get_returns_the_same_bytes(store: BlobStore) -> None:
    """Binary content, including NUL bytes, comes back exactly."""
    data = bytes(range(256)) * 10
    store.put("documents/abc/original.pdf", data)

    assert store.get("documents/abc/original.pdf") == data
    assert store.exists("documents/abc/original.pdf")


def test_put_replaces_an_existing_blob(store: BlobStore) -> None:
    """A repeated job run overwrites its result rather than failing or appending."""
    store.put("results/j1/text", b"first run, longer content")
    store.put("results/j1/text", b"second")

    assert store.get("results/j1/text") == b"second"


def test_missing_blob_raises_not_found(store: BlobStore) -> None:
    """Reading an absent key is a not-found error the API maps to 404."""
    with pytest.raises(BlobNotFoundError, match="nothing/here") as caught:
        store.get("nothing/here")

    assert isinstance(caught.value, NotFoundError)
    assert not store.exists("nothing/here")


def test_delete_removes_and_tolerates_a_missing_blob(store: BlobStore) -> None:
    """Deleting twice is fine: cleanup may run more than once."""
    store.put("a/b", b"x")

    store.delete("a/b")
    store.delete("a/b")

    assert not store.exists("a/b")
    with pytest.raises(BlobNotFoundError):
        store.get("a/b")


def test_empty_blob_is_stored_and_exists(store: BlobStore) -> None:
    """Zero bytes is a blob, not an absence."""
    store.put("empty", b"")

    assert store.exists("empty")
    assert store.get("empty") == b""


def test_check_passes_on_a_writable_store(store: BlobStore) -> None:
    """The readiness probe succeeds and leaves nothing behind."""
    store.check()

    if isinstance(store, LocalBlobStore):
        assert list(store.root.iterdir()) == []


def test_iter_blobs_lists_keys_sizes_and_utc_times_under_a_prefix(store: BlobStore) -> None:
    """Listing is by plain key prefix, so retention can walk ``jobs/`` or ``documents/``."""
    before = utcnow() - timedelta(seconds=5)
    store.put("documents/ab/abc", b"12345")
    store.put("documents/ab/abd", b"")
    store.put("documents/ac/acx", b"1")
    store.put("jobs/j1/pages/00001-1.json", b"{}")

    listed = {blob.key: blob for blob in store.iter_blobs("documents/ab")}

    assert sorted(listed) == ["documents/ab/abc", "documents/ab/abd"]
    assert listed["documents/ab/abc"].size == 5
    assert listed["documents/ab/abd"].size == 0
    for blob in listed.values():
        assert blob.modified.utcoffset() == timedelta(0)
        assert before <= blob.modified <= utcnow() + timedelta(seconds=5)
    assert {b.key for b in store.iter_blobs("documents/a")} == {
        "documents/ab/abc",
        "documents/ab/abd",
        "documents/ac/acx",
    }
    assert [b.key for b in store.iter_blobs("jobs/")] == ["jobs/j1/pages/00001-1.json"]


def test_iter_blobs_of_everything_and_of_nothing(store: BlobStore) -> None:
    """No prefix lists every blob; a prefix nothing has lists none; deleted blobs are gone."""
    store.put("a/b", b"x")
    store.put("c", b"y")
    store.delete("c")

    assert [b.key for b in store.iter_blobs()] == ["a/b"]
    assert list(store.iter_blobs("zzz/")) == []
    assert list(store.iter_blobs("a/b/")) == []


def test_local_listing_skips_temporary_files(storage: LocalBlobStore) -> None:
    """A write in progress (or one a crash left) is not a blob."""
    storage.put("jobs/j/result.txt", b"done")
    (storage.root / "jobs" / "j" / ".tmp-abc123").write_bytes(b"half")

    assert [b.key for b in storage.iter_blobs("jobs/")] == ["jobs/j/result.txt"]


def test_local_listing_reports_file_modified_times(storage: LocalBlobStore) -> None:
    """The modified time is the file's, so an operator's restore keeps blobs' ages."""
    storage.put("documents/aa/aa1", b"x")
    old = utcnow() - timedelta(days=40)
    os.utime(storage.root / "documents" / "aa" / "aa1", (old.timestamp(), old.timestamp()))

    [blob] = storage.iter_blobs("documents/")

    assert abs(blob.modified - old) < timedelta(seconds=1)


def test_local_delete_prunes_emptied_folders(storage: LocalBlobStore) -> None:
    """Deleted jobs leave no empty folders behind for listings to walk, and writes still work."""
    storage.put("jobs/j1/pages/00001-1.json", b"{}")
    storage.put("jobs/j1/result.txt", b"t")

    storage.delete("jobs/j1/pages/00001-1.json")
    assert not (storage.root / "jobs" / "j1" / "pages").exists()
    storage.delete("jobs/j1/result.txt")

    assert list(storage.root.iterdir()) == []
    storage.put("jobs/j1/result.txt", b"again")
    assert storage.get("jobs/j1/result.txt") == b"again"


def test_memory_store_stamps_blobs_with_its_clock() -> None:
    """Tests can make blobs that look old without waiting."""
    then = utcnow() - timedelta(days=3)
    store = MemoryBlobStore(clock=lambda: then)
    store.put("k", b"v")

    assert [(b.key, b.modified) for b in store.iter_blobs()] == [("k", then)]


def test_local_blobs_are_files_under_the_root(storage: LocalBlobStore) -> None:
    """Keys map to nested files, so an operator can find and back them up."""
    storage.put("documents/d1/original.png", b"png bytes")

    assert (storage.root / "documents" / "d1" / "original.png").read_bytes() == b"png bytes"


def test_local_put_leaves_no_temporary_files(storage: LocalBlobStore) -> None:
    """The write goes to a temporary name that is renamed away, not left beside the blob."""
    storage.put("results/j/text", b"a")
    storage.put("results/j/text", b"b")

    assert [p.name for p in (storage.root / "results" / "j").iterdir()] == ["text"]


def test_local_put_failure_removes_the_temporary_file(storage: LocalBlobStore) -> None:
    """A write that fails half way leaves neither a partial blob nor a stray temp file."""
    (storage.root / "results" / "j" / "text").mkdir(parents=True)

    with pytest.raises(OSError):
        storage.put("results/j/text", b"cannot replace a directory")

    assert [p.name for p in (storage.root / "results" / "j").iterdir()] == ["text"]


def test_concurrent_readers_never_see_a_partial_blob(storage: LocalBlobStore) -> None:
    """Readers racing a writer see either the old or the new blob, whole."""
    old, new = b"o" * 200_000, b"n" * 300_000
    storage.put("k", old)
    seen: set[bytes] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.add(storage.get("k"))

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(20):
        storage.put("k", new)
        storage.put("k", old)
    done.set()
    reader.join()

    assert seen <= {old, new}


def test_staged_bytes_are_stored_under_the_key_given_later(store: BlobStore) -> None:
    """An upload starts on its way before its hash is known; the key comes at the end."""
    data = bytes(range(256)) * 1000
    staged = store.stage(data)
    staged.place("documents/ab/ab12")
    staged.settle()
    store.stage(b"never kept").discard()

    assert store.get("documents/ab/ab12") == data
    assert [blob.key for blob in store.iter_blobs()] == ["documents/ab/ab12"]


def test_placed_bytes_are_read_in_full_under_their_key_before_they_settle(
    store: BlobStore,
) -> None:
    """A submit writes its rows between ``place`` and ``settle``: a worker may read the
    blob in between, and must find all of it."""
    data = bytes(range(256)) * 2000
    staged = store.stage(data)
    staged.place("documents/ef/ef56")

    assert store.get("documents/ef/ef56") == data
    staged.settle()
    assert store.get("documents/ef/ef56") == data
    assert [blob.key for blob in store.iter_blobs()] == ["documents/ef/ef56"]


def test_local_staging_writes_before_the_key_is_known(storage: LocalBlobStore) -> None:
    """The bytes are in a file of their own when ``stage`` returns, while the caller
    works out the key; placing renames it into place, and nothing is left beside it."""
    data = b"x" * 300_000
    staged = storage.stage(data)
    assert [p.stat().st_size for p in storage.root.iterdir()] == [len(data)]

    staged.place("documents/cd/cd34")
    staged.settle()

    assert (storage.root / "documents" / "cd" / "cd34").read_bytes() == data
    assert [p.name for p in storage.root.iterdir()] == ["documents"]


def test_local_staged_bytes_discarded_or_refused_leave_no_file(storage: LocalBlobStore) -> None:
    """An upload refused after its write began (a bad file, a quota) leaves nothing."""
    storage.stage(b"refused upload").discard()
    with pytest.raises(ValueError, match="invalid blob key"):
        storage.stage(b"a bad key").place("../escape")

    assert list(storage.root.iterdir()) == []
    assert not (storage.root.parent / "escape").exists()


@pytest.mark.parametrize("key", ["../escape", "a/../../escape", "/etc/passwd", "", ".", "a/.."])
def test_local_keys_outside_the_root_are_refused(storage: LocalBlobStore, key: str) -> None:
    """No key can reach a file outside the store's folder, or the folder itself."""
    operations: list[Callable[[], object]] = [
        lambda: storage.put(key, b"x"),
        lambda: storage.get(key),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
    ]
    for operation in operations:
        with pytest.raises(ValueError, match="invalid blob key"):
            operation()

    assert not (storage.root.parent / "escape").exists()


def test_local_check_fails_when_the_folder_is_gone(storage: LocalBlobStore) -> None:
    """Readiness reports a store whose folder vanished (unmounted volume)."""
    shutil.rmtree(storage.root)

    with pytest.raises(OSError):
        storage.check()


def test_local_store_creates_its_root(tmp_path: Path) -> None:
    """A fresh data dir needs no manual setup."""
    root = tmp_path / "new" / "blobs"

    LocalBlobStore(root)

    assert root.is_dir()


@pytest.mark.parametrize("form", ["uri", "path"])
def test_open_storage_accepts_file_urls_and_plain_paths(tmp_path: Path, form: str) -> None:
    """``file:///path`` and ``/path`` both open a local store at that folder."""
    root = tmp_path / "with space"
    url = root.as_uri() if form == "uri" else str(root)

    store = open_storage(url)

    assert isinstance(store, LocalBlobStore)
    assert store.root == root.resolve()


def test_open_storage_refuses_unknown_schemes() -> None:
    """An unsupported URL fails at startup with the URL in the message."""
    with pytest.raises(ValueError, match="ftp://host/x"):
        open_storage("ftp://host/x")


def test_memory_store_lists_its_keys() -> None:
    """Tests and benchmarks can see what a run stored."""
    store = MemoryBlobStore()
    store.put("b", b"2")
    store.put("a", b"1")
    store.delete("b")

    assert store.keys() == ["a"]
