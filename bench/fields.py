"""Field extraction: how well untxt reads receipts' and invoices' fields, and what it costs.

Receipts: the 40 scanned receipts of ``../shared/eval/sroie-dev``, read in one run
by ``untxt ocr -f json`` (OCR alone) and by ``untxt ocr --extract auto -f json``
(OCR and fields), each in a process of its own. Each receipt's ``ID.json`` holds
``{"company": MerchantName, "date": TransactionDate, "address": MerchantAddress,
"total": Total}`` (each field's ``content``, as printed) and is scored with
``../shared/eval/score.py``: exact and loose F1 per field. The extraction's share of
the time is its CPU time per receipt, measured in this process on the documents the
OCR run produced, over the OCR's CPU time per receipt; the two CLI runs' times are
printed too (the difference between them is within the noise of two OCR runs).

Invoices: the rendered invoices of ``tests/extract/invoices.py`` (English and
Vietnamese, several layouts, currencies and date styles, some scanned-looking),
read by ``untxt ocr --extract auto`` (Vietnamese ones with ``-l vie -l eng``), each
field compared with what was printed: strings after case folding and whitespace
collapse, dates and amounts by value.

    python bench/fields.py [--limit N] [--skip-receipts] [--skip-invoices] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from common import UNTXT, report
from untxt.document import Document
from untxt.extract import extract_fields
from untxt.formats.text import render_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval" / "sroie-dev"
SROIE_KEYS = {
    "company": "MerchantName",
    "date": "TransactionDate",
    "address": "MerchantAddress",
    "total": "Total",
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_untxt(args: list[str]) -> tuple[float, float]:
    """CPU and wall seconds of one ``untxt`` command."""
    cpu, wall = children_cpu(), time.perf_counter()
    subprocess.run([UNTXT, *args], check=True)
    return children_cpu() - cpu, time.perf_counter() - wall


def receipts(images: list[Path], work: Path) -> dict[str, Any]:
    plain, extracted, predictions = work / "ocr", work / "fields", work / "pred"
    for folder in (plain, extracted, predictions):
        folder.mkdir()
    files = [str(p) for p in images]
    ocr_cpu, ocr_wall = run_untxt(["ocr", "-f", "json", "-o", str(plain), *files])
    both_cpu, both_wall = run_untxt(
        ["ocr", "--extract", "auto", "-f", "json", "-o", str(extracted), *files]
    )
    # The extraction alone, timed in this process on the documents OCR produced.
    documents = [
        Document.model_validate_json((plain / f"{p.stem}.json").read_bytes()) for p in images
    ]
    start = own_cpu()
    for document in documents:
        extract_fields(document, ["auto"], languages=["eng"])
    extract_cpu = own_cpu() - start
    types: Counter[str] = Counter()
    for image in images:
        result = json.loads((extracted / f"{image.stem}.json").read_text())
        fields = result.pop("fields", {})
        document = Document.model_validate(result)
        types[fields.get("document_type", "none")] += 1
        found = fields.get("fields", {})
        keys = {key: found.get(name, {}).get("content", "") for key, name in SROIE_KEYS.items()}
        (predictions / f"{image.stem}.txt").write_text(render_text(document), encoding="utf-8")
        (predictions / f"{image.stem}.json").write_text(json.dumps(keys), encoding="utf-8")
    scored = work / "score.json"
    subprocess.run(
        [
            sys.executable,
            str(DATA.parent / "score.py"),
            str(DATA),
            str(predictions),
            "--json",
            str(scored),
        ],
        check=True,
        capture_output=True,
    )
    score = json.loads(scored.read_text())
    n = len(images)
    return {
        "receipts": n,
        "types": dict(types),
        "cer": score["cer"],
        "word_f1": score["word_f1"],
        "exact": score["fields"]["exact"],
        "loose": score["fields"]["loose"],
        "ocr_cpu_per_receipt": ocr_cpu / n,
        "ocr_wall_per_receipt": ocr_wall / n,
        "ocr_and_fields_cpu_per_receipt": both_cpu / n,
        "ocr_and_fields_wall_per_receipt": both_wall / n,
        "extract_cpu_per_receipt": extract_cpu / n,
        "extract_share": extract_cpu / ocr_cpu,
    }


def _same(kind: str, truth: Any, got: dict[str, Any] | None) -> bool:
    if got is None:
        return False
    value = got.get("value")
    if isinstance(truth, float):
        return isinstance(value, int | float) and abs(value - truth) < 0.005
    if kind == "date":
        return value == truth
    return " ".join(str(value).casefold().split()) == " ".join(str(truth).casefold().split())


def invoices(work: Path) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.extract.invoices import invoice_samples, png_bytes

    samples = invoice_samples()
    folder = work / "invoices"
    folder.mkdir()
    groups: dict[tuple[str, ...], list[Path]] = {}
    for sample in samples:
        path = folder / f"{sample.name}.png"
        path.write_bytes(png_bytes(sample))
        groups.setdefault(sample.languages, []).append(path)
    out = work / "invoice-fields"
    out.mkdir()
    for languages, paths in groups.items():
        flags = [arg for code in languages for arg in ("-l", code)]
        run_untxt(
            ["ocr", "--extract", "auto", "-f", "fields", *flags, "-o", str(out), *map(str, paths)]
        )
    present: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    items_right = items_total = 0
    typed: Counter[str] = Counter()
    for sample in samples:
        result = json.loads((out / f"{sample.name}.json").read_text())
        typed[result["document_type"]] += 1
        for name, truth in sample.fields.items():
            present[name] += 1
            kind = "date" if name.endswith("Date") else "other"
            correct[name] += _same(kind, truth, result["fields"].get(name))
        got_items = result.get("items", [])
        for index, item in enumerate(sample.items):
            for name, truth in item.items():
                items_total += 1
                got = got_items[index].get(name) if index < len(got_items) else None
                items_right += _same("other", truth, got)
    rates = {name: correct[name] / present[name] for name in sorted(present)}
    return {
        "invoices": len(samples),
        "types": dict(typed),
        "per_field": rates,
        "present": dict(present),
        "fields_exact": sum(correct.values()) / max(1, sum(present.values())),
        "item_fields_exact": items_right / max(1, items_total),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N receipts")
    parser.add_argument("--skip-receipts", action="store_true")
    parser.add_argument("--skip-invoices", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="keep the outputs here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="untxt-fields-"))
    data: dict[str, Any] = {}
    try:
        if not args.skip_receipts:
            images = sorted((DATA / "img").glob("*.jpg"))[: args.limit]
            data["receipts"] = r = receipts(images, work)
            rows = [
                [f"{kind} F1", r[kind]["f1"], *(r[kind][k] for k in SROIE_KEYS)]
                for kind in ("exact", "loose")
            ]
            report_rows = [
                *rows,
                [
                    "OCR alone: CPU s / wall s per receipt",
                    r["ocr_cpu_per_receipt"],
                    r["ocr_wall_per_receipt"],
                    "",
                    "",
                    "",
                ],
                [
                    "OCR + fields: CPU s / wall s",
                    r["ocr_and_fields_cpu_per_receipt"],
                    r["ocr_and_fields_wall_per_receipt"],
                    "",
                    "",
                    "",
                ],
                [
                    "extraction alone: CPU s per receipt",
                    r["extract_cpu_per_receipt"],
                    "",
                    "",
                    "",
                    "",
                ],
                ["extraction / OCR CPU", r["extract_share"], "", "", "", ""],
            ]
            report(
                "fields",
                f"Receipt fields on {r['receipts']} SROIE receipts (CER {r['cer']:.4f}, word F1 "
                f"{r['word_f1']:.3f}; types {r['types']})",
                ["measure", "all", *SROIE_KEYS],
                report_rows,
                data,
            )
        if not args.skip_invoices:
            data["invoices"] = v = invoices(work)
            report(
                "fields",
                f"Invoice fields on {v['invoices']} rendered invoices (types {v['types']}); all "
                f"fields {v['fields_exact']:.3f}, item fields {v['item_fields_exact']:.3f}",
                ["field", "exact rate", "invoices printing it"],
                [[name, rate, v["present"][name]] for name, rate in v["per_field"].items()],
                data,
            )
    finally:
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
