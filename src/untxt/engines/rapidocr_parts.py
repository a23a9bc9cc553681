"""Where untxt reaches inside rapidocr, which has no option for these: the recogniser's
decoder, and the ONNX Runtime sessions' threads.

Both check what they reach for, so that another rapidocr version makes the engine
unavailable with the reason rather than read differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version as _package_version
from pathlib import Path
from typing import Any

from untxt.engines.ctc import MarkDecoder
from untxt.errors import EngineUnavailableError


def read_marks(ocr: Any) -> MarkDecoder:
    """Have rapidocr's recogniser put back the spaces, stops and colons greedy decoding
    drops, and weigh characters by the job's languages; returns the decoder that does.

    rapidocr has no option for this: its recogniser's decoder is swapped for
    :class:`untxt.engines.ctc.MarkDecoder`, which wraps it.
    """
    try:
        recognizer = ocr._load_rec_model()
        decoder = MarkDecoder(recognizer.postprocess_op)
        recognizer.postprocess_op = decoder
        return decoder
    except (AttributeError, KeyError, ValueError) as exc:
        raise EngineUnavailableError(
            f"ppocr: rapidocr {_package_version('rapidocr')} does not expose its recogniser's "
            f"decoder as untxt expects ({exc}); install the rapidocr version untxt pins"
        ) from exc


def stop_spinning(ocr: Any, models: Sequence[Path], threads: int) -> None:
    """Have the detection and recognition models' threads sleep, not spin, between runs.

    ONNX Runtime's threads spin for a while after each operator, waiting for the next:
    with two threads that cost about a tenth more CPU for the same time per receipt
    (bench/accuracy.py). rapidocr has no option for it, so its two sessions are
    rebuilt with it, once (about 0.3 CPU-s).
    """
    import onnxruntime

    try:
        det, rec = models
        for part, model in ((ocr._load_det_model(), det), (ocr._load_rec_model(), rec)):
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 4
            options.enable_cpu_mem_arena = False
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            part.session.session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
    except (AttributeError, KeyError, ValueError) as exc:
        raise EngineUnavailableError(
            f"ppocr: rapidocr {_package_version('rapidocr')} does not expose its ONNX Runtime "
            f"sessions as untxt expects ({exc}); install the rapidocr version untxt pins"
        ) from exc
