from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    phone: str  # 10-digit Vietnamese mobile number
    text: str
    kind: str  # what it is about, e.g. "passport_renewed"
    reference: str = ""  # the object it is about, e.g. a certificate identifier


class Notifier(Protocol):
    def send(self, messages: list[Message]) -> int:
        """Queue or send the messages; returns how many were accepted. Messages without a
        phone number are skipped."""
        ...
