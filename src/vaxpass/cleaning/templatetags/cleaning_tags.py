from django import template

from vaxpass.cleaning.scopes import has_review_queue as _has_review_queue

register = template.Library()


@register.filter
def has_review_queue(user) -> bool:
    """Whether the account works a review queue (for the header's link)."""
    return bool(getattr(user, "is_authenticated", False)) and _has_review_queue(user)
