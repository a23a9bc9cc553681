"""A page image's marks, measured: what the pipeline's corrections and the engines share.

- :mod:`untxt.imaging.ink`: the ink of a page, which way its lines run, their skew,
  height and ascent
- :mod:`untxt.imaging.content`: the part of a page that holds its marks
"""
