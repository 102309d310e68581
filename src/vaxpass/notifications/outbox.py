"""The default notifier: messages go to the outbox table."""

from django.conf import settings
from django.utils.module_loading import import_string

from vaxpass.adapters.notify import Message, Notifier
from vaxpass.notifications.models import OutboxMessage


class OutboxNotifier:
    def send(self, messages: list[Message]) -> int:
        rows = [
            OutboxMessage(phone=m.phone, text=m.text, kind=m.kind, reference=m.reference)
            for m in messages
            if m.phone
        ]
        OutboxMessage.objects.bulk_create(rows, batch_size=1000)
        return len(rows)


def notifier() -> Notifier:
    """The configured notifier (settings.NOTIFIER, a dotted class path)."""
    return import_string(
        getattr(settings, "NOTIFIER", "vaxpass.notifications.outbox.OutboxNotifier")
    )()
