"""Tandem: collaborative, turn-based roleplay writing."""

__version__ = "0.1.0"
