"""The peer of untxt's submit: a minimal FastAPI app doing the same durable work.

``POST /v1/ocr`` parses the multipart upload, hashes it (SHA-256), writes the blob and
fsyncs it, inserts one row in a SQLite database in WAL mode (``synchronous=NORMAL``,
as untxt runs it), and answers 202 with a small JSON body; ``GET /healthz`` answers
at once. Nothing else: no auth, no checks of what the file is, no queue, no events.

    python bench/submit_peer.py --port 8001 --data-dir /tmp/peer
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Annotated

import uvicorn
from fastapi import FastAPI, File, Form, UploadFile
from fastapi.responses import JSONResponse


def create_app(data_dir: Path) -> FastAPI:
    blobs = data_dir / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    database = data_dir / "peer.db"
    with sqlite3.connect(database) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute(
            "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, sha256 TEXT, filename TEXT,"
            " size INTEGER, options TEXT, status TEXT)"
        )
    local = threading.local()

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(database, timeout=30, isolation_level=None)
            local.db.execute("PRAGMA synchronous=NORMAL")
        db: sqlite3.Connection = local.db
        return db

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/ocr", status_code=202)
    def submit(
        file: Annotated[UploadFile, File()], options: Annotated[str | None, Form()] = None
    ) -> JSONResponse:
        data = file.file.read()
        sha256 = hashlib.sha256(data).hexdigest()
        path = blobs / sha256
        with open(path, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        job_id = uuid.uuid4().hex
        db = connection()
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, 'queued')",
            (job_id, sha256, file.filename, len(data), options),
        )
        db.execute("COMMIT")
        return JSONResponse({"id": job_id, "status": "queued"}, status_code=202)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.data_dir), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
