"""Translation marking for the pure core.

The core must not import Django, yet its user-facing messages have to reach Django's
``makemessages``. ``gettext_noop`` has the same name Django's extractor looks for, so
templates marked with it land in the .po catalogue; the Django layer translates them
at display time with ``gettext(template) % params``.
"""


def gettext_noop(message: str) -> str:
    """Mark ``message`` for extraction; return it unchanged (translated later)."""
    return message
