"""The HTTP API: routers, schemas, problem+json errors, dependencies, middleware.

- :mod:`untxt.api.routers`: one router per resource
- :mod:`untxt.api.deps`: request dependencies as ``Annotated`` aliases
- :mod:`untxt.api.schemas`, :mod:`untxt.api.schemas_ask`: request and response bodies
- :mod:`untxt.api.problems`, :mod:`untxt.api.openapi`: problem+json answers, documented
- :mod:`untxt.api.submit`, :mod:`untxt.api.uploads`, :mod:`untxt.api.idempotency`,
  :mod:`untxt.api.waiting`, :mod:`untxt.api.results`, :mod:`untxt.api.page_images`: what
  the routers share (the submit flow, uploads, ``Idempotency-Key``, ``?wait=``, results,
  page images)
- :mod:`untxt.api.limits`, :mod:`untxt.api.ratelimit`, :mod:`untxt.api.hygiene`,
  :mod:`untxt.api.metrics`: middleware (body size, rate limits, request ids and security
  headers, request timing and ``GET /metrics``)
- :mod:`untxt.api.docs_page`: ``/docs`` served offline
"""
