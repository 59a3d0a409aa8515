"""The storage of committees' terms of reference: the "private" storage of settings.STORAGES
(msonet.storage), never given a URL. Each file is sent by a view that checks who may see it."""

from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    """The storage for FileFields holding private files (a callable, so migrations do not record
    where the files are kept)."""
    return storages["private"]
