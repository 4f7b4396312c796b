"""Internals of the ``image`` module: pixel tables, file codecs, resampling, drawing and font."""
