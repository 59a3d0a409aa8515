"""The portal's busiest pages at national scale, in-process and under gunicorn, beside /healthz/.

Builds the national data set of bench/national_scale.py (25,000 organisations, 30,000 people,
40,000 appointments) in a scratch PostgreSQL database, adds the regional networks with their
memberships and a chair, then prints in one run:

- each page's median and 95th-percentile server time and query count, in-process (Django's test
  client, production settings: DEBUG off, cached template loader, hashed static files);
- each page's requests/s under gunicorn (2 sync workers on the loopback address), with a bounded
  keep-alive load generator of 4 connections for BENCH_SECONDS per URL, next to /healthz/ through
  the same middleware, measured in the same run; and the ratio of the two.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/pages.py
The scratch database (msonet_bench_pages, or BENCH_DATABASE) is created and dropped by the script;
BENCH_KEEP_DATABASE=1 keeps it, and BENCH_REUSE_DATABASE=1 measures a kept one without building it again.
"""

import asyncio
import datetime
import io
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import national_scale  # noqa: E402  (the data-set builder, beside this file)

REQUESTS = int(os.environ.get("BENCH_REQUESTS", 200))
SECONDS = float(os.environ.get("BENCH_SECONDS", 10))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 4))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
BENCH_DB = os.environ.get("BENCH_DATABASE", "msonet_bench_pages")
CHAIR_REGION = "Y62"

# Production settings, served over plain HTTP on the loopback address.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "msonet.settings.production",
    "SECRET_KEY": "bench-only-secret-key-for-the-loopback-server-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/9"),
}


def database_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + BENCH_DB


def build_data_set(dsn: str) -> None:
    """The national data set, then one regional network per region whose members are the officers
    of its organisations, a chair (with a user and an authenticator app) of one of them."""
    from django.core.management import call_command

    from organisations.models import Organisation

    call_command("migrate", verbosity=0)
    call_command(
        "import_ods",
        str(ROOT / "data/ods/icb_names_codes_dec_2024.csv"),
        kind="icbs",
        stdout=io.StringIO(),
    )
    icb_codes = list(Organisation.objects.filter(kind="icb").values_list("ods_code", flat=True))
    rows = national_scale.ods_rows(icb_codes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "epraccur.csv"
        national_scale.write_csv(rows, path)
        call_command("import_ods", str(path), kind="gp-practices", stdout=io.StringIO())
    national_scale.build_officers()
    build_networks()
    call_command("shell", command="from django.db import connection; connection.cursor().execute('ANALYZE')")


def build_networks() -> None:
    from networks.models import Membership, Network
    from officers.models import Appointment
    from organisations.models import Region

    rng = random.Random(11)
    joined = datetime.date(2024, 1, 1)
    networks = {
        region.pk: Network.objects.create(
            name=f"{region.name} MSO network", slug=f"region-{region.code.lower()}", kind="regional", region=region
        )
        for region in Region.objects.all()
    }
    # Each officer belongs to the regional network of (one of) their organisations' regions.
    seen = set()
    memberships = []
    for person_id, region_id in Appointment.objects.filter(organisation__region__isnull=False).values_list(
        "person_id", "organisation__region_id"
    ):
        if person_id in seen:
            continue
        seen.add(person_id)
        memberships.append(Membership(person_id=person_id, network=networks[region_id], joined_on=joined))
    Membership.objects.bulk_create(memberships, batch_size=5000)
    # A local network of 400 officers.
    local = Network.objects.create(name="Bench local MSO network", slug="bench-local", kind="local")
    Membership.objects.bulk_create(
        Membership(person_id=person_id, network=local, joined_on=joined) for person_id in rng.sample(sorted(seen), 400)
    )


def create_users():
    """The national lead and the chair of the CHAIR_REGION network, each with an authenticator app."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import generate_totp_secret
    from allauth.mfa.utils import encrypt

    from networks.models import Membership, Network
    from officers.models import Person
    from users.models import User

    lead = User.objects.filter(email="bench.lead@england.nhs.uk").first()
    if lead is None:
        lead = User.objects.create_user(email="bench.lead@england.nhs.uk", is_national_lead=True, is_staff=True)
        Authenticator.objects.create(
            user=lead, type=Authenticator.Type.TOTP, data={"secret": encrypt(generate_totp_secret())}
        )
    network = Network.objects.get(kind="regional", region__code=CHAIR_REGION)
    chair = User.objects.filter(email="bench.chair@nhs.net").first()
    if chair is None:
        chair = User.objects.create_user(email="bench.chair@nhs.net")
        Authenticator.objects.create(
            user=chair, type=Authenticator.Type.TOTP, data={"secret": encrypt(generate_totp_secret())}
        )
        person = Person.objects.filter(memberships__network=network, user__isnull=True).order_by("pk").first()
        person.user = chair
        person.save(update_fields=["user"])
        Membership.objects.filter(person=person, network=network).update(role="chair")
    return lead, chair, network


def pages(lead, chair, network) -> list[tuple[str, str, object]]:
    from organisations.models import Organisation

    busy = Organisation.objects.filter(appointments__role="mso").order_by("ods_code")[500]
    return [
        ("directory, first page", "/organisations/", lead),
        ("directory, page 200", "/organisations/?page=200", lead),
        ("directory, search 'surgery 12'", "/organisations/?q=surgery+12", lead),
        ("directory, region filter", "/organisations/?region=" + CHAIR_REGION, lead),
        ("organisation page", busy.get_absolute_url(), lead),
        ("membership page (chair)", f"/networks/{network.slug}/membership/", chair),
        ("membership page (chair), gaps", f"/networks/{network.slug}/membership/?gaps=on", chair),
        ("dashboard (national lead)", "/dashboard/", lead),
    ]


def measure(client, url: str) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    queries = status = 0
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        status = response.status_code
        queries = len(ctx.captured_queries)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], queries, status


# The load generator: CONNECTIONS keep-alive connections, each sending one request after another
# for SECONDS (reconnecting when the server closes, as gunicorn's sync workers do after each response).


async def _one_connection(port: int, request: bytes, deadline: float, counts: dict) -> None:
    reader = writer = None
    while time.monotonic() < deadline:
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = close = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = 1
        if length:
            await reader.readexactly(length)
        counts["ok" if status == 200 else "other"] += 1
        counts["status"] = status
        if close:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def _load(port: int, request: bytes, seconds: float) -> dict:
    counts = {"ok": 0, "other": 0, "status": 0}
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(*(_one_connection(port, request, deadline, counts) for _ in range(CONNECTIONS)))
    counts["elapsed"] = time.monotonic() - start
    return counts


def requests_per_second(port: int, url: str, cookie: str | None, seconds: float = SECONDS) -> tuple[float, dict]:
    headers = [f"GET {url} HTTP/1.1", "Host: 127.0.0.1", "User-Agent: bench"]
    if cookie:
        headers.append(f"Cookie: sessionid={cookie}")
    request = ("\r\n".join(headers) + "\r\n\r\n").encode()
    counts = asyncio.run(_load(port, request, seconds))
    return (counts["ok"] + counts["other"]) / counts["elapsed"], counts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, log) -> tuple[subprocess.Popen, int]:
    """gunicorn as production runs it (deploy/gunicorn.conf.py), with WORKERS sync workers on a free
    loopback port; its log (the portal's JSON line per request included) to `log`."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.terminate()
        log.flush()
        sys.exit(f"gunicorn did not start:\n{Path(log.name).read_text()[-3000:]}")
    return process, port


def main() -> None:
    url = national_scale.admin_dsn()
    dsn = database_url(url)
    reuse = os.environ.get("BENCH_REUSE_DATABASE") and national_scale.database_exists(url, BENCH_DB)
    if not reuse:
        national_scale.recreate_database(url, BENCH_DB)
    # The uploads' folders production requires (msonet.startup), in a scratch folder of the run's.
    scratch = Path(tempfile.mkdtemp(prefix="msonet-bench-pages-"))
    for name in ("MEDIA_ROOT", "PRIVATE_MEDIA_ROOT"):
        (scratch / name).mkdir()
        BENCH_ENV[name] = str(scratch / name)
    gunicorn_log = (scratch / "gunicorn.log").open("w")
    os.environ.update(BENCH_ENV, DATABASE_URL=dsn)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from networks.models import Membership
    from organisations.models import Organisation

    keep = reuse or os.environ.get("BENCH_KEEP_DATABASE")
    gunicorn = None
    try:
        if not reuse:
            start = time.perf_counter()
            build_data_set(dsn)
            print(f"data set built in {time.perf_counter() - start:.0f} s")
        else:
            call_command("migrate", interactive=False, verbosity=0)  # a kept database, of an older portal
        call_command("collectstatic", interactive=False, verbosity=0)
        lead, chair, network = create_users()
        print(
            f"data set: {Organisation.objects.count():,} organisations, {national_scale.PEOPLE:,} people, "
            f"{national_scale.APPOINTMENTS:,} appointments, {Membership.objects.count():,} memberships"
        )
        backends = ", ".join(engine["BACKEND"].rsplit(".", 1)[-1] for engine in settings.TEMPLATES)
        print(f"settings: {os.environ['DJANGO_SETTINGS_MODULE']}, DEBUG={settings.DEBUG}, templates: {backends}")

        listed = pages(lead, chair, network)
        clients = {}
        for user in (lead, chair):
            client = Client()
            client.force_login(user)
            clients[user.pk] = client
        print(f"in-process ({REQUESTS} requests each, after a warm-up request):")
        anonymous = Client()
        for label, page, user in [("/healthz/", "/healthz/", None), *listed]:
            client = clients[user.pk] if user else anonymous
            client.get(page)
            median, p95, queries, status = measure(client, page)
            print(f"  {label:36} median {median:6.1f} ms  p95 {p95:6.1f} ms  queries {queries:3d}  status {status}")

        env = {**os.environ, **BENCH_ENV, "DATABASE_URL": dsn}
        gunicorn, port = start_gunicorn(env, gunicorn_log)
        cookies = {pk: client.cookies["sessionid"].value for pk, client in clients.items()}
        print(
            f"gunicorn ({WORKERS} sync workers, 127.0.0.1), {CONNECTIONS} keep-alive connections, "
            f"{SECONDS:.0f} s per URL:"
        )
        for _, page, user in listed:
            requests_per_second(port, page, cookies[user.pk], seconds=1)  # warm both workers
        health, counts = requests_per_second(port, "/healthz/", None)
        print(f"  {'/healthz/':36} {health:7.1f} requests/s  (status {counts['status']}, {counts['other']} not 200)")
        ratios = []
        for label, page, user in listed:
            rate, counts = requests_per_second(port, page, cookies[user.pk])
            ratios.append(rate / health)
            print(
                f"  {label:36} {rate:7.1f} requests/s  ratio to /healthz/ {rate / health:4.2f}"
                f"  (status {counts['status']}, {counts['other']} not 200)"
            )
        health_after, counts = requests_per_second(port, "/healthz/", None)
        print(f"  {'/healthz/ again, at the end':36} {health_after:7.1f} requests/s")
        print(f"  lowest ratio {min(ratios):.2f} (goal: at least 0.30)")
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        gunicorn_log.close()
        shutil.rmtree(scratch, ignore_errors=True)
        from django.db import connections

        connections.close_all()
        if not keep:
            national_scale.drop_database(url, BENCH_DB)


if __name__ == "__main__":
    main()
