"""Logging filters (wired in ``settings.LOGGING``)."""

from __future__ import annotations

import logging


class OneLineForbidden(logging.Filter):
    """Log a 403 as one line: Django logs PermissionDenied with its traceback, which fills
    the log with stack traces for an ordinary refusal. The reason stays on the line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            exception = record.exc_info[1]
            reason = str(exception).replace("%", "%%") if exception is not None else ""
            if reason:
                record.msg = f"{record.msg} ({reason})"
            record.exc_info = None
            record.exc_text = None
        return True
