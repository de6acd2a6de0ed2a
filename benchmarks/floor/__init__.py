"""The framework floor for ``benchmarks/run.py``: a one-view Django project, no database."""
