"""Questions about a caller's documents, answered from their fields and pages with citations.

- :mod:`untxt.ask.intent` and :mod:`untxt.ask.periods`: what a question asks (a sum,
  a count, one field; of which documents, over which period), in English or Vietnamese
- :mod:`untxt.ask.answer`: its grounds, gathered in one read: what the database
  computes (:mod:`untxt.ask.facts`) and the sources (:mod:`untxt.ask.sources`)
- :mod:`untxt.ask.prompt` and :mod:`untxt.ask.llm`: what an OpenAI-compatible model is
  sent, streamed back, and which sources its answer cites
"""
