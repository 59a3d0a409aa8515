"""Where uploaded files are kept (FILE_STORAGE, msonet.storage): a private file stored by one web
server is read by another configured the same way; the s3 configuration builds private S3 storages
without signed URLs for private files; bad values are refused with a message."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from committees.models import Committee
from msonet.storage import PrivateFileSystemStorage, PrivateS3Storage

ROOT = Path(__file__).resolve().parents[2]
STORAGE_VARIABLES = {
    "FILE_STORAGE",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "SESSION_ENGINE",
    "CACHE_URL",
    "MEDIA_ROOT",
    "PRIVATE_MEDIA_ROOT",
}


def portal(code, **variables):
    """Runs `code` in a new process of the portal (the test settings) with these variables set,
    as another web server would; returns the finished process."""
    env = {key: value for key, value in os.environ.items() if key not in STORAGE_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="msonet.settings.test", AWS_EC2_METADATA_DISABLED="true", **variables)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def same_configuration(alias):
    """A new storage built from the settings, as a second web server builds its own."""
    return storages.create_storage(settings.STORAGES[alias])


def test_a_private_file_stored_by_one_web_server_is_read_by_another_with_the_same_settings(tmp_path, settings):
    shared = tmp_path / "shared-mount" / "private"
    stored = portal(
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import storages\n"
        "print(storages['private'].save('terms-of-reference.pdf', ContentFile(b'%PDF-1.7 minutes')))",
        PRIVATE_MEDIA_ROOT=str(shared),
    )
    assert stored.returncode == 0, stored.stderr
    name = stored.stdout.strip().splitlines()[-1]

    settings.PRIVATE_MEDIA_ROOT = shared
    other_server = same_configuration("private")
    with other_server.open(name, "rb") as file:
        assert file.read() == b"%PDF-1.7 minutes"
    assert (shared / name).stat().st_mode & 0o777 == 0o600  # the portal's user only
    with pytest.raises(ValueError, match="Private files have no address"):
        other_server.url(name)


def test_a_public_file_stored_through_one_storage_is_read_through_a_new_one(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "shared-mount" / "media"
    name = same_configuration("default").save("notice.txt", ContentFile(b"hello"))
    with same_configuration("default").open(name) as file:
        assert file.read() == b"hello"


def test_terms_of_reference_are_kept_in_the_private_storage_of_the_settings():
    storage = Committee._meta.get_field("terms_of_reference").storage
    assert isinstance(storage, PrivateFileSystemStorage)
    assert settings.STORAGES["private"]["BACKEND"] == "msonet.storage.PrivateFileSystemStorage"
    assert settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


S3_PROBE = """
import json
from django.core.files.storage import storages
from committees.models import Committee

def described(storage):
    return {
        "class": f"{type(storage).__module__}.{type(storage).__name__}",
        "bucket": storage.bucket_name,
        "endpoint": storage.endpoint_url,
        "region": storage.region_name,
        "location": storage.location,
        "acl": storage.default_acl,
        "signed_urls": storage.querystring_auth,
        "overwrite": storage.file_overwrite,
    }

field = Committee._meta.get_field("terms_of_reference").storage
try:
    field.url("committees/x.pdf")
    private_url = "given"
except ValueError as error:
    private_url = str(error)
print(json.dumps({
    "default": described(storages["default"]),
    "private": described(storages["private"]),
    "terms_of_reference": described(field),
    "private_url": private_url,
}))
"""


def test_s3_storage_keeps_files_in_the_bucket_privately_and_private_files_get_no_signed_url():
    result = portal(
        S3_PROBE,
        FILE_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="msonet-files",
        AWS_S3_ENDPOINT_URL="https://objects.example.nhs.uk",
        AWS_S3_REGION_NAME="eu-west-2",
        AWS_ACCESS_KEY_ID="probe-key-id",
        AWS_SECRET_ACCESS_KEY="probe-secret",
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    bucket = {"bucket": "msonet-files", "endpoint": "https://objects.example.nhs.uk", "region": "eu-west-2"}
    assert found["default"] == {
        "class": "storages.backends.s3.S3Storage",
        **bucket,
        "location": "media",
        "acl": "private",
        "signed_urls": True,
        "overwrite": False,
    }
    assert found["private"] == {
        "class": f"{PrivateS3Storage.__module__}.PrivateS3Storage",
        **bucket,
        "location": "private",
        "acl": "private",
        "signed_urls": False,
        "overwrite": False,
    }
    assert found["terms_of_reference"] == found["private"]
    assert found["private_url"] == "Private files have no address; a view that checks access sends them."


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"FILE_STORAGE": "ftp"},
            "FILE_STORAGE must be filesystem (the MEDIA_ROOT and PRIVATE_MEDIA_ROOT folders) or s3 "
            "(S3-compatible object storage), not 'ftp'.",
        ),
        ({"FILE_STORAGE": "S3 "}, "FILE_STORAGE must be filesystem"),
        ({"FILE_STORAGE": "s3"}, "FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME, the bucket's name."),
        (
            {"FILE_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "files", "AWS_S3_ENDPOINT_URL": "objects.internal"},
            "AWS_S3_ENDPOINT_URL must start with https:// or http://.",
        ),
        ({"SESSION_ENGINE": "file"}, "SESSION_ENGINE must be db, cached_db or cache, not 'file'."),
        (
            {"SESSION_ENGINE": "cached_db"},
            "SESSION_ENGINE=cached_db keeps sessions in the cache: set CACHE_URL to a shared cache (redis://...), "
            "or each web process would know only its own sessions.",
        ),
        ({"SESSION_ENGINE": "cache", "CACHE_URL": "locmemcache://"}, "SESSION_ENGINE=cache keeps sessions"),
    ],
)
def test_the_portal_refuses_to_start_with_bad_storage_or_session_settings(variables, message):
    result = portal("print('started')", **variables)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_sessions_in_a_shared_cache_are_accepted():
    result = portal(
        "from django.conf import settings; print(settings.SESSION_ENGINE, settings.CACHES['default']['BACKEND'])",
        SESSION_ENGINE="cached_db",
        CACHE_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.contrib.sessions.backends.cached_db",
        "django.core.cache.backends.redis.RedisCache",
    ]
