"""untxt against OCRmyPDF: one scanned PDF made searchable by each; pages/s and CER.

Generates a 20-page 300 DPI image-only PDF with scan specks, its pages leaning
by up to ``--skew`` degrees (alternately either way), and its ground-truth
text. In one run, alternating which goes first in each round:

- untxt: ``untxt serve`` with ``--workers`` workers; one POST /v1/ocr of the PDF
  asking for ``outputs: ["pdf"]``, followed on its event stream until completed, the PDF downloaded;
- OCRmyPDF: ``ocrmypdf --output-type pdf --jobs N`` on the same file (the
  system Tesseract; no Ghostscript needed for this output type).

Both get OMP_THREAD_LIMIT=1 and the same N cores' worth of processes. The text
layer of each output is extracted with ``pdftotext`` (its default layout
analysis, and ``-raw``, the order the text was written in) and compared with
the ground truth: CER = edit distance / reference length, case-folded, with
whitespace collapsed.

    python bench/vs_ocrmypdf.py [--pages 20] [--rounds 3] [--workers 2] [--skew 1.5]
                                [--engine tesseract]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from common import page_skew, report, run_job, running_server, scanned_pdf, scanned_text

OCRMYPDF = str(Path(sys.executable).with_name("ocrmypdf"))
ENGINE = "tesseract"


def untxt(url: str, pdf: bytes, seq: int, engine: str) -> tuple[float, bytes]:
    """Seconds from POST /v1/ocr to the searchable PDF downloaded, and that PDF."""
    # A distinct file each round (a trailing comment), so no step is skipped as a repeat.
    body = pdf + f"\n%untxt-bench {seq}\n".encode()
    options = {"engine": engine, "languages": ["eng"], "outputs": ["pdf"]}
    with httpx.Client(base_url=url, timeout=120) as client:
        started = time.perf_counter()
        _, job = run_job(client, body, options)
        result = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "pdf"})
        result.raise_for_status()
        return time.perf_counter() - started, result.content


def ocrmypdf(source: Path, target: Path, jobs: int) -> tuple[float, bytes]:
    """Seconds for one ``ocrmypdf`` run (process start included), and its output."""
    started = time.perf_counter()
    subprocess.run(
        [OCRMYPDF, "--output-type", "pdf", "--jobs", str(jobs), "-q", str(source), str(target)],
        check=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    return time.perf_counter() - started, target.read_bytes()


def tesseract_library_version() -> str:
    """Version of the Tesseract library untxt's tesseract engine calls."""
    import tesserocr

    return f"tesseract {tesserocr.tesseract_version().split()[1]}"


def levenshtein(a: str, b: str) -> int:
    """Edit distance of ``a`` and ``b``: Hyyrö's bit-parallel form of Myers' algorithm.

    One column of the dynamic-programming table is kept as bit vectors in Python
    integers, so a 2,000-character page takes milliseconds rather than seconds.
    """
    if not a:
        return len(b)
    full = (1 << len(a)) - 1
    last = 1 << (len(a) - 1)
    peq: dict[str, int] = {}
    for i, char in enumerate(a):
        peq[char] = peq.get(char, 0) | (1 << i)
    pv, mv, score = full, 0, len(a)
    for char in b:
        eq = peq.get(char, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | ~(xh | pv)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = (ph << 1) | 1
        mh <<= 1
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv & full
    return score


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def cer(pdf: bytes, truth: list[str], *, raw: bool) -> float:
    """Character error rate of the PDF's text layer against ``truth`` (one entry per page)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        args = ["pdftotext", *(["-raw"] if raw else []), file.name, "-"]
        pages = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    found = pages.split("\f")
    errors = sum(
        levenshtein(_normal(ref), _normal(found[i] if i < len(found) else ""))
        for i, ref in enumerate(truth)
    )
    return errors / sum(len(_normal(ref)) for ref in truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="untxt workers, ocrmypdf --jobs")
    parser.add_argument("--skew", type=float, default=1.5, help="largest page skew, degrees")
    parser.add_argument("--engine", default=ENGINE, help="untxt engine (default: tesseract)")
    args = parser.parse_args()
    if not Path(OCRMYPDF).exists():
        parser.error(f"{OCRMYPDF} not found: install the dev extras (pip install -e '.[dev]')")

    pdf = scanned_pdf(args.pages, skew=args.skew)
    truth = [scanned_text(i) for i in range(args.pages)]
    work = Path(tempfile.mkdtemp(prefix="untxt-vs-ocrmypdf-"))
    source = work / "scan.pdf"
    source.write_bytes(pdf)
    warm = work / "warm.pdf"
    warm.write_bytes(scanned_pdf(2))
    times: dict[str, list[float]] = {"untxt": [], "ocrmypdf": []}
    outputs: dict[str, bytes] = {}
    with running_server(args.workers, OMP_THREAD_LIMIT="1") as url:
        # Warm-up: engines load in every worker; OCRmyPDF's imports reach the page cache.
        untxt(url, warm.read_bytes(), 0, args.engine)
        ocrmypdf(warm, work / "warm-out.pdf", args.workers)
        for round_ in range(args.rounds):
            order = ["untxt", "ocrmypdf"] if round_ % 2 == 0 else ["ocrmypdf", "untxt"]
            for name in order:
                if name == "untxt":
                    seconds, out = untxt(url, pdf, round_ + 1, args.engine)
                else:
                    seconds, out = ocrmypdf(source, work / "out.pdf", args.workers)
                times[name].append(seconds)
                outputs[name] = out

    rates = {name: args.pages / min(values) for name, values in times.items()}
    per_round = [o / u for u, o in zip(times["untxt"], times["ocrmypdf"], strict=True)]
    accuracy = {
        name: {"cer": cer(out, truth, raw=False), "cer_raw": cer(out, truth, raw=True)}
        for name, out in outputs.items()
    }
    ratios = {
        "untxt / ocrmypdf pages/s (median of rounds)": statistics.median(per_round),
        "untxt / ocrmypdf pages/s (best of each)": rates["untxt"] / rates["ocrmypdf"],
    }
    rows: list[list[Any]] = [
        [
            name,
            f"{min(times[name]):.2f}",
            f"{max(times[name]):.2f}",
            rates[name],
            f"{100 * accuracy[name]['cer']:.2f}%",
            f"{100 * accuracy[name]['cer_raw']:.2f}%",
            f"{len(outputs[name]) / 1e6:.1f}",
        ]
        for name in times
    ]
    rows += [[name, "", "", ratio, "", "", ""] for name, ratio in ratios.items()]
    report(
        "vs_ocrmypdf",
        f"{args.pages}-page 300 DPI scan (skew up to {args.skew} degrees) made searchable, "
        f"{args.workers} workers / jobs",
        ["run", "best s", "worst s", "pages/s", "CER", "CER -raw", "MB out"],
        rows,
        {
            "pages": args.pages,
            "skews": [page_skew(i, args.skew) for i in range(args.pages)],
            "pdf_bytes": len(pdf),
            "workers": args.workers,
            "engine": args.engine,
            # OCRmyPDF runs the system's tesseract; untxt the library its tesserocr wheel holds.
            "tesseract": {
                "ocrmypdf": subprocess.run(
                    ["tesseract", "--version"], capture_output=True, text=True
                ).stdout.split("\n")[0],
                "untxt": tesseract_library_version(),
            },
            "seconds": times,
            "pages_per_second": rates,
            "ratios": ratios,
            "per_round_ratios": per_round,
            "accuracy": accuracy,
            "output_bytes": {name: len(out) for name, out in outputs.items()},
            "target": {"untxt_over_ocrmypdf": 1.5, "cer": "untxt <= ocrmypdf"},
        },
    )


if __name__ == "__main__":
    main()
