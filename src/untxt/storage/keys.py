"""Where each blob lives: the one place that knows the layout of the blob store.

::

    documents/{sha[:2]}/{sha}                      an upload, by content (shared by owners)
    jobs/{job_id}/pages/{page:05d}-{attempt}.json  a recognised page, until assembly
    jobs/{job_id}/results/{task}-{attempt}.{ext}   a rendered result
    jobs/{job_id}/images/{page:05d}-{variant}      a page image for viewers, kept once made

Pages and results are keyed by the lease that wrote them, so the late write
of a worker that lost its lease never replaces what the job records.
"""

from __future__ import annotations

DOCUMENTS = "documents/"
JOBS = "jobs/"


def document_blob_key(sha256: str) -> str:
    """An upload's key: by content, so identical files share one blob."""
    return f"{DOCUMENTS}{sha256[:2]}/{sha256}"


def job_blob_prefix(job_id: str) -> str:
    """The prefix under which every blob of a job is stored."""
    return f"{JOBS}{job_id}/"


def job_id_of(key: str) -> str:
    """The job a ``jobs/...`` key belongs to."""
    return key[len(JOBS) :].split("/", 1)[0]


def page_blob_key(job_id: str, page: int, attempt: int) -> str:
    """Where a recognised page is kept until the job's assembly."""
    return f"{job_blob_prefix(job_id)}pages/{page:05d}-{attempt}.json"


def result_blob_key(job_id: str, task_id: int, attempt: int, extension: str) -> str:
    """Where a rendered result is stored by the task (and attempt) that rendered it."""
    return f"{job_blob_prefix(job_id)}results/{task_id}-{attempt}.{extension}"


def page_image_blob_key(job_id: str, page: int, variant: str) -> str:
    """Where a page's image for viewers is kept, one per ``variant`` (size, format, frame).

    Under the job's prefix, so that deleting the job or its expiry takes it too.
    """
    return f"{job_blob_prefix(job_id)}images/{page:05d}-{variant}"
