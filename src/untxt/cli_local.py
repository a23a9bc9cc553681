"""The commands that read files here and now, with no server: ``ocr`` and ``compare``."""

from __future__ import annotations

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from untxt.cli_fields import FIELDS_FORMATS, LocalFields
from untxt.cli_shared import err, fail
from untxt.config import Settings, cpu_count, load_settings
from untxt.errors import UntxtError

if TYPE_CHECKING:
    from untxt.document import Document


def ocr(
    files: Annotated[
        list[Path], typer.Argument(help="Images or PDFs.", exists=True, dir_okay=False)
    ],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="text, markdown, json, hocr, alto, html, pdf (searchable), or fields (the "
            "extracted fields as JSON; fields-csv and fields-xml too).",
        ),
    ] = "text",
    lang: Annotated[
        list[str] | None, typer.Option("--lang", "-l", help="Language code; repeat for several.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File (one input) or folder (several) to write."),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="OCR engine; auto picks the best one for the languages.")
    ] = "auto",
    resolution: Annotated[str, typer.Option(help="PDF render preset: tiny..gundam.")] = "base",
    mode: Annotated[
        str, typer.Option(help="document, handwritten, general or figure.")
    ] = "document",
    pdf_mode: Annotated[
        str, typer.Option("--pdf-mode", help="auto, force or skip_text (see docs/ocr.md).")
    ] = "auto",
    options_json: Annotated[
        str | None,
        typer.Option(
            "--options",
            help='Any other job options as JSON, as the API takes them: \'{"preprocess": '
            '{"clean": true}}\'.',
        ),
    ] = None,
    extract: Annotated[
        list[str] | None,
        typer.Option(
            "--extract",
            "-x",
            help="Extract fields: auto, or a document type (receipt, invoice, utility_bill); "
            "json then holds them too.",
        ),
    ] = None,
    template: Annotated[
        list[Path] | None,
        typer.Option(
            "--template",
            help="An invoice2data template (YAML or JSON) to extract with; repeat for several.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """OCR files here and now, without a server; the result goes to stdout unless -o is given."""
    from pydantic import ValidationError

    from untxt.engines import EngineRegistry
    from untxt.formats import FORMATS
    from untxt.options import JobOptions
    from untxt.pipeline import recognize_document
    from untxt.pipeline.outputs import render_outputs

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    fields_format = FIELDS_FORMATS.get(format)
    if format not in FORMATS and fields_format is None:
        choices = ", ".join([*FORMATS, *FIELDS_FORMATS])
        raise fail(f"unknown format {format!r}; choose from {choices}")
    fmt = FORMATS["json" if fields_format else format]
    if fmt.binary and output is None and (len(files) > 1 or sys.stdout.isatty()):
        raise fail(f"{format} is binary: name a file with -o, or redirect one file's output")
    if fields_format and not extract:
        extract = ["auto"]
    try:
        extra = json.loads(options_json) if options_json else {}
        if not isinstance(extra, dict):
            raise fail("--options must be a JSON object")
        options = JobOptions.model_validate(
            {
                "engine": engine,
                "languages": lang or ["eng"],
                "resolution": resolution,
                "mode": mode,
                "pdf_mode": pdf_mode,
                **({"extract": extract} if extract else {}),
                **extra,
            }
        )
        extractor = LocalFields.load(options.extract, template or [])
    except (ValidationError, json.JSONDecodeError) as exc:
        raise fail(str(exc)) from None
    except UntxtError as exc:
        raise fail(str(exc)) from None
    # One process reads the files, several at once: see _readers.
    settings = load_settings()
    readers = _readers(settings, len(files))
    settings = settings.with_overrides(workers=readers)
    extension = fields_format[0] if fields_format else fmt.extension
    targets = _output_paths(files, output, extension)
    registry = EngineRegistry(settings)
    try:
        options = options.model_copy(
            update={"engine": registry.resolve(options.engine, options.languages, options.mode)}
        )
    except UntxtError as exc:
        raise fail(str(exc)) from None
    failures = 0
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        # Redrawn when a page is done, not ten times a second: the redraws cost the
        # engine a few percent of its CPU. Not drawn at all where no one sees it.
        auto_refresh=False,
        disable=not err.is_terminal,
    ) as progress:
        # Engines need not be thread-safe (Tesseract's API is not): each reader has its own.
        own = threading.local()

        def read(path: Path) -> tuple[Document, bytes] | UntxtError:
            """The file's document and its rendering in ``fmt``; the error that stopped it."""
            bar = None

            def report(done: int, total: int) -> None:
                nonlocal bar
                if total > 1 and bar is None:
                    bar = progress.add_task(path.name, total=total)
                if bar is not None:
                    progress.update(bar, completed=done, refresh=True)

            data = path.read_bytes()
            try:
                if not hasattr(own, "registry"):
                    own.registry = EngineRegistry(settings)
                document = recognize_document(
                    data,
                    options,
                    own.registry.get(options.engine),
                    max_pages=settings.max_pages,
                    max_pixels=settings.max_image_pixels,
                    source=path.name,
                    on_page=report,
                )
                [(_, body)] = render_outputs(
                    document,
                    [fmt.name],
                    data,
                    media_type=_media_type(data, settings),
                    dpi=options.dpi,
                    max_pixels=settings.max_image_pixels,
                )
            except UntxtError as exc:
                return exc
            return document, body

        with ThreadPoolExecutor(readers) as pool:
            # Read ahead as the readers allow; written in the order given.
            for path, target, outcome in zip(files, targets, pool.map(read, files), strict=True):
                if isinstance(outcome, UntxtError):
                    failures += 1
                    err.print(f"[red]untxt: {path}:[/red] {outcome}", highlight=False)
                    continue
                document, body = outcome
                rendered = extractor.render(document, options, body, format)
                if target is not None:
                    target.write_bytes(rendered)
                elif fmt.binary:
                    sys.stdout.buffer.write(rendered)
                    sys.stdout.flush()
                else:
                    text = rendered.decode()
                    sys.stdout.write(text if text.endswith("\n") else text + "\n")
                    sys.stdout.flush()
    if failures:
        raise typer.Exit(1)


def _readers(settings: Settings, files: int) -> int:
    """How many of ``files`` to read at once: one per core, each engine computation on one
    thread (or the cores over ``UNTXT_ENGINE_THREADS`` where that is set).

    Spread over several threads, one page's computation leaves cores idle between steps
    and while Python prepares, decodes and lays out; another page fills them.
    """
    threads = settings.engine_threads or 1
    return max(1, min(files, cpu_count() // threads))


def _media_type(data: bytes, settings: Settings) -> str:
    """What ``data``, a file read before, is (the searchable PDF draws its pages again)."""
    from untxt.pipeline.inputs import inspect_input

    info = inspect_input(data, max_pages=settings.max_pages, max_pixels=settings.max_image_pixels)
    return info.media_type


def _output_paths(files: list[Path], output: Path | None, extension: str) -> list[Path | None]:
    if output is None:
        return [None] * len(files)
    if len(files) == 1 and not output.is_dir():
        output.parent.mkdir(parents=True, exist_ok=True)
        return [output]
    output.mkdir(parents=True, exist_ok=True)
    return [output / f"{path.stem}.{extension}" for path in files]


def compare(
    file: Annotated[Path, typer.Argument(help="An image or PDF.", exists=True, dir_okay=False)],
    engine: Annotated[
        list[str] | None,
        typer.Option("--engine", "-e", help="An engine to compare; repeat (default: all usable)."),
    ] = None,
    lang: Annotated[
        list[str] | None, typer.Option("--lang", "-l", help="Language code; repeat for several.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Read a file with several engines, here and now; print each one's text and how they agree."""
    from rich.table import Table

    from untxt.compare import pairwise
    from untxt.engines import EngineRegistry
    from untxt.formats.text import render_text
    from untxt.options import JobOptions
    from untxt.pipeline import recognize_document

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    settings = load_settings()
    registry = EngineRegistry(settings)
    options = JobOptions(languages=lang or ["eng"])
    names = engine or [info.name for info in registry.describe() if info.available]
    data = file.read_bytes()
    readings: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            document = recognize_document(
                data,
                options.model_copy(update={"engine": name}),
                registry.get(name),
                max_pages=settings.max_pages,
                max_pixels=settings.max_image_pixels,
                source=file.name,
            )
        except UntxtError as exc:
            if engine:
                raise fail(f"{name}: {exc}") from None
            continue  # an engine that cannot read this job is left out when none was named
        readings[name] = {
            "text": render_text(document),
            "confidence": document.confidence,
            "seconds": document.seconds,
        }
    if len(readings) < 2:
        raise fail(f"comparing needs two engines that can read this; got {', '.join(readings)}")
    agreement = pairwise({name: r["text"] for name, r in readings.items()})
    if as_json:
        report = {"engines": readings, "agreement": [a.model_dump() for a in agreement]}
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    out = Console()
    summary = Table("engine", "seconds", "confidence", "words", title=file.name)
    for name, r in readings.items():
        confidence = "-" if r["confidence"] is None else f"{r['confidence']:.3f}"
        summary.add_row(name, f"{r['seconds']:.2f}", confidence, str(len(r["text"].split())))
    out.print(summary)
    pairs = Table("engine", "engine", "agreement")
    for pair in agreement:
        pairs.add_row(pair.a, pair.b, f"{pair.agreement:.3f}")
    out.print(pairs)
    for name, r in readings.items():
        out.rule(name)
        out.print(r["text"], markup=False, highlight=False)
