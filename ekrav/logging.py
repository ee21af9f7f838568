"""Logging that never writes a person's identity number (issue 6): every record passes
``MaskPersonalNumbers`` on its way to a handler (ekrav.settings LOGGING)."""

import logging

from ekrav.identifiers import mask_personnummer_in_text


class MaskPersonalNumbers(logging.Filter):
    """Masks the last four digits of anything that reads as a personnummer in the message and
    its arguments (formatted first, so nothing slips through an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's own error to report
            return True
        masked = mask_personnummer_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
