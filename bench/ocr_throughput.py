"""OCR throughput: pages/s through the whole service against the bare engine, same pages.

Generates a 20-page 300 DPI scanned-style PDF, renders its pages once, and runs
in the same process, alternating in rounds:

- bare engine, 1 process: tesserocr in a loop (one reused TessBaseAPI);
- bare engine, N processes: the same loop split over as many processes as
  `untxt serve` has workers (the same cores the service gets);
- the service: `untxt serve` with its default workers; one POST /v1/ocr of the
  PDF, followed on its event stream until the job is completed (submit to all
  results stored).

    python bench/ocr_throughput.py [--pages 20] [--rounds 3] [--workers N]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx

from common import report, run_job, running_server, scanned_pdf

LANG = "eng"

# The bare engine is Tesseract, so the service runs it too; every round OCRs the same
# PDF again rather than take the result cache's answer.
OPTIONS = {
    "engine": "tesseract",
    "languages": ["eng"],
    "outputs": ["json", "text"],
    "no_cache": True,
}


def render_pages(pdf: bytes, dpi: int = 300) -> list[bytes]:
    """The PDF's pages as raw 8-bit greyscale bitmaps, as the service renders them."""
    from untxt.pipeline.pdf import count_pdf_pages, render_pdf_page

    pages = []
    for index in range(count_pdf_pages(pdf)):
        image = render_pdf_page(pdf, index, dpi)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        pages.append(buffer.getvalue())
    return pages


def _bare_worker(pages: list[bytes]) -> int:
    """Recognise ``pages`` with one reused TessBaseAPI; returns the characters read."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import tesserocr
    from PIL import Image

    from untxt.engines.tesseract import find_tessdata

    characters = 0
    with tesserocr.PyTessBaseAPI(path=f"{find_tessdata()}/", lang=LANG) as api:
        for data in pages:
            image = Image.open(io.BytesIO(data))
            image.load()
            api.SetImageBytes(image.tobytes(), image.width, image.height, 1, image.width)
            api.SetSourceResolution(300)
            api.Recognize()
            characters += len(api.GetUTF8Text())
    return characters


def bare(pages: list[bytes], processes: int) -> float:
    """Seconds for ``processes`` processes to read all ``pages`` (pool start-up excluded)."""
    shares = [pages[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_bare_worker, [[pages[0]]] * processes))  # load models first
        started = time.perf_counter()
        list(pool.map(_bare_worker, shares))
        return time.perf_counter() - started


def service(url: str, pdf: bytes, seq: int) -> tuple[float, dict[str, Any]]:
    """Seconds from POST /v1/ocr to the job completed, and the finished job."""
    # A distinct file each round (a trailing comment), so no step is skipped as a repeat.
    body = pdf + f"\n%untxt-bench {seq}\n".encode()
    with httpx.Client(base_url=url, timeout=60) as client:
        return run_job(client, body, OPTIONS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()

    pdf = scanned_pdf(args.pages)
    pages = render_pages(pdf)
    times: dict[str, list[float]] = {"bare-1": [], f"bare-{args.workers}": [], "service": []}
    with running_server(args.workers, OMP_THREAD_LIMIT="1") as url:
        service(url, pdf, 0)  # warm-up: engines load in every worker
        times["bare-1"].append(bare(pages, 1))
        for round_ in range(args.rounds):
            times[f"bare-{args.workers}"].append(bare(pages, args.workers))
            seconds, _ = service(url, pdf, round_ + 1)
            times["service"].append(seconds)

    rates = {name: args.pages / min(values) for name, values in times.items()}
    same_cores = f"bare-{args.workers}"
    # Each round ran the bare engine and the service back to back: their ratio per
    # round is the figure least moved by drift on a shared machine.
    per_round = [b / s for b, s in zip(times[same_cores], times["service"], strict=True)]
    ratios = {
        f"service / {same_cores} (median of rounds)": statistics.median(per_round),
        f"service / {same_cores} (best of each)": rates["service"] / rates[same_cores],
        "service / bare-1 (best of each)": rates["service"] / rates["bare-1"],
    }
    rows = [[name, f"{min(v):.2f}", f"{max(v):.2f}", rates[name]] for name, v in times.items()]
    rows += [[name, "", "", ratio] for name, ratio in ratios.items()]
    report(
        "ocr_throughput",
        f"{args.pages}-page 300 DPI scanned PDF, {args.workers} workers",
        ["run", "best s", "worst s", "pages/s"],
        rows,
        {
            "pages": args.pages,
            "pdf_bytes": len(pdf),
            "workers": args.workers,
            "seconds": times,
            "pages_per_second": rates,
            "ratios": ratios,
            "per_round_ratios": per_round,
            "target": {"service_over_bare": 0.9},
        },
    )


if __name__ == "__main__":
    main()
