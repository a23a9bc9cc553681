"""From an upload's bytes to recognised pages: inspect, load, recognise."""

from untxt.pipeline.inputs import InputInfo, inspect_input
from untxt.pipeline.recognize import recognize_document, recognize_page

__all__ = ["InputInfo", "inspect_input", "recognize_document", "recognize_page"]
