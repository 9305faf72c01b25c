"""Our calendar files in a real CalDAV server (Radicale, which reads them with vobject): it
accepts them, and a time-range query finds each event at the right UTC instant."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import create_event, create_registration

#: Places with summer time, across a change, and with an odd offset.
CASES = [
    ("Europe/Zurich", datetime(2030, 1, 15, 14, 0, tzinfo=UTC)),
    ("Europe/Zurich", datetime(2030, 7, 15, 13, 0, tzinfo=UTC)),
    ("America/New_York", datetime(2030, 3, 10, 13, 0, tzinfo=UTC)),
    ("Asia/Kathmandu", datetime(2030, 5, 1, 4, 15, tzinfo=UTC)),
]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    port = _free_port()
    folder = tmp_path_factory.mktemp("radicale")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--auth-type",
            "none",
            "--rights-type",
            "owner_only",
            "--storage-filesystem-folder",
            str(folder),
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/.web/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def _request(method: str, url: str, body: bytes = b"", **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers)
    request.add_header("Authorization", "Basic dGVzdDp0ZXN0")  # user "test"
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _found_between(collection: str, start: datetime, end: datetime) -> str:
    query = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
    status, body = _request(
        "REPORT", collection, query.encode(), Depth="1", **{"Content-Type": "application/xml"}
    )
    assert status == 207, body
    return body


@pytest.mark.parametrize(("zone", "start"), CASES)
def test_radicale_files_each_event_at_the_right_instant(client, radicale, zone, start):
    event = create_event(
        slug=f"in-{zone.lower().replace('/', '-').replace('_', '-')}-{start:%m}",
        timezone=zone,
        starts_at=start,
    )
    collection = f"{radicale}/test/{event.slug}/"
    assert _request("MKCALENDAR", collection)[0] == 201
    download = client.get(f"/events/{event.slug}.ics")
    assert download.status_code == 200
    status, body = _request(
        "PUT",
        f"{collection}{event.slug}.ics",
        download.data,
        **{"Content-Type": "text/calendar"},
    )
    assert status == 201, body

    # A window of one minute around the true start finds it; one an hour off does not.
    assert event.slug in _found_between(collection, start, start + timedelta(minutes=1))
    hour = timedelta(hours=1)
    assert event.slug not in _found_between(collection, start - 2 * hour, start - hour)


def test_radicale_accepts_the_personal_invitation(app, radicale):
    import icalendar

    from tests.mail.helpers import outbox

    event = create_event(
        slug="invited", timezone="Europe/Zurich", starts_at=datetime(2030, 7, 15, 13, 0, tzinfo=UTC)
    )
    create_registration(event, email="ana@example.org")
    (message,) = outbox()
    invite = message.attachments[0]["content"]
    collection = f"{radicale}/test/invited/"
    assert _request("MKCALENDAR", collection)[0] == 201
    # A server stores events, not the METHOD of the message that carried them.
    calendar = icalendar.Calendar.from_ical(invite)
    del calendar["METHOD"]
    status, body = _request(
        "PUT", f"{collection}invite.ics", calendar.to_ical(), **{"Content-Type": "text/calendar"}
    )
    assert status == 201, body
    assert "invite.ics" in _found_between(
        collection, event.starts_at, event.starts_at + timedelta(minutes=1)
    )
