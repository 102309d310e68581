from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A message waiting for (or past) delivery: the default notification adapter writes
    here; an SMS gateway process would send and mark them."""

    phone = models.CharField(_("phone"), max_length=15, db_index=True)
    text = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=40)
    reference = models.CharField(_("about"), max_length=80, blank=True, db_index=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("notification outbox")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} → {self.phone}"
