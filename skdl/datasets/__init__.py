"""Data sets shipped with skdl, with their sources and licenses."""

from ._base import load_digit_sheet
from ._sentiment import load_sentiment_sentences

__all__ = ["load_digit_sheet", "load_sentiment_sentences"]
