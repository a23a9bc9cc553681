"""PDF's objects: numbered and written out with a cross-reference table; numbers and strings."""

from __future__ import annotations

import io

__all__ = ["PdfWriter", "pdf_number", "pdf_text_string"]


class PdfWriter:
    """Numbered objects written out with a cross-reference table."""

    def __init__(self) -> None:
        self._objects: list[bytes | None] = []

    def reserve(self) -> int:
        self._objects.append(None)
        return len(self._objects)

    def set(self, number: int, body: bytes) -> None:
        self._objects[number - 1] = body

    def add(self, body: bytes) -> int:
        number = self.reserve()
        self.set(number, body)
        return number

    def add_stream(self, entries: bytes, data: bytes, filter_: bytes = b"") -> int:
        head = b"<< %s /Length %d%s >>" % (
            entries,
            len(data),
            b" /Filter " + filter_ if filter_ else b"",
        )
        return self.add(head + b"\nstream\n" + data + b"\nendstream")

    def finish(self, root: int, info: int) -> bytes:
        out = io.BytesIO()
        # The comment of high bytes tells transfer tools the file is binary.
        out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self._objects, 1):
            if body is None:
                raise ValueError(f"object {number} was reserved but never written")
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
        out.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(offsets) + 1, root, info, xref)
        )
        return out.getvalue()


def pdf_number(value: float, places: int = 2) -> bytes:
    """A PDF number: fixed-point, without trailing zeros."""
    text = (b"%.*f" % (places, value)).rstrip(b"0").rstrip(b".")
    return text if text not in (b"-0", b"") else b"0"


def pdf_text_string(text: str) -> bytes:
    """A PDF text string: UTF-16BE with its byte order mark, as hex."""
    return b"<feff%s>" % text.encode("utf-16-be").hex().encode()
