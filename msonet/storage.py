"""Where uploaded files are kept: the storages that settings.STORAGES names (FILE_STORAGE chooses the
folders or S3-compatible object storage). Private files ("private": committees' terms of reference)
are never given an address; each is sent by a view that checks who may see it."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage


class PrivateFiles:
    """A storage whose files have no URL."""

    def url(self, name, *args, **kwargs):
        raise ValueError("Private files have no address; a view that checks access sends them.")


class PrivateFileSystemStorage(PrivateFiles, FileSystemStorage):
    """Private files under PRIVATE_MEDIA_ROOT (outside MEDIA_ROOT and the static files), readable
    by the portal's own user only."""

    def __init__(self, **kwargs):
        super().__init__(base_url=None, file_permissions_mode=0o600, directory_permissions_mode=0o700)

    # Read from the settings each time, so that a change of setting (as in the tests) takes effect.
    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


class PrivateS3Storage(PrivateFiles, S3Storage):
    """Private files in the bucket, under their own prefix, with a private ACL and no signed URL:
    the portal reads each one and sends it itself."""
