"""Data sets shipped with skdl, with their sources and licenses."""

from ._base import load_digit_sheet

__all__ = ["load_digit_sheet"]
