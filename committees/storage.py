"""Storage for private files: kept under PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT and the static files,
never given a URL. Each file is sent by a view that checks who may see it."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    def __init__(self):
        super().__init__(base_url=None, file_permissions_mode=0o600, directory_permissions_mode=0o700)

    # Read from the settings each time, so that a change of setting (as in the tests) takes effect.
    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no address; a view that checks access sends them.")


def private_storage() -> PrivateStorage:
    """The storage for FileFields holding private files (a callable, so migrations do not record a path)."""
    return PrivateStorage()
