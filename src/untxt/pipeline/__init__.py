"""From an upload's bytes to recognised pages and rendered outputs.

- :mod:`untxt.pipeline.inputs`: what an upload is, what is refused, its page count
- :mod:`untxt.pipeline.pages`, :mod:`untxt.pipeline.pdf`: page images of images and PDFs
- :mod:`untxt.pipeline.pdftext`: PDF pages read from their own text layer
- :mod:`untxt.pipeline.preprocess`: corrections before recognition; which way up a page
  stands in :mod:`untxt.pipeline.orientation` and :mod:`untxt.pipeline.direction`
- :mod:`untxt.pipeline.recognize`: a page, or a whole document, read by an engine
- :mod:`untxt.pipeline.outputs`: the formats a job asked for, rendered (with the page
  images the searchable PDF draws)

The pipeline calls down into :mod:`untxt.engines` (through the ``OcrEngine`` interface)
and :mod:`untxt.formats`; neither calls back up into it.
"""

from untxt.pipeline.inputs import InputInfo, inspect_input
from untxt.pipeline.recognize import recognize_document, recognize_page

__all__ = ["InputInfo", "inspect_input", "recognize_document", "recognize_page"]
