"""Who made a change and why, as django-simple-history records it for every registry model."""

# django-simple-history keeps a change reason of at most 100 characters.
CHANGE_REASON_MAX_LENGTH = 100


def change_reason(text: str) -> str:
    """`text` cut to the length a history row keeps."""
    return text[:CHANGE_REASON_MAX_LENGTH]


def record_change(instance, *, user, reason: str) -> None:
    """Record who made the next save (or delete) of `instance` and why, in its history."""
    instance._history_user = user
    instance._change_reason = change_reason(reason)
