"""Sending messages to people (SMS, later app notifications) behind a small interface.

The default sender is the outbox table of `vaxpass.notifications` (what the admin shows,
and what a gateway process would drain); a real SMS gateway is one more class with
`send`."""

from vaxpass.adapters.notify.base import Message, Notifier

__all__ = ["Message", "Notifier"]
