from django.db import models


class LookupAttempt(models.Model):
    """A failed try on the public look-up page, for its rate limit. Keys are HMACs of the
    client address or the citizen ID typed, never the values themselves."""

    key = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
