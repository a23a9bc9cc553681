"""The browser UI: pages rendered from templates, scripts and styles shipped in the package.

The pages carry no data of their own: their scripts read and write through the public
API (``/v1/...``) with the browser's session cookie, exactly as any other client does,
so auth, owner isolation and rate limits are the API's. See docs/ui.md.
"""

from untxt.web.pages import install_web

__all__ = ["install_web"]
