"""The dashboard's pure parts: the build timeline's bars from the compute API's action
events, and the session's CSRF check."""
import types

import pytest

from controller.dashboard import session, timeline

SERVER = {"OS-SRV-USG:launched_at": "2026-12-04T10:00:09.000000",
          "OS-EXT-SRV-ATTR:host": "h1"}
ACTION = {"events": [
    {"event": "compute__schedule_instances", "start_time": "2026-12-04T10:00:01.000000",
     "finish_time": "2026-12-04T10:00:02.000000", "result": "Success"},
    {"event": "compute_api_create", "start_time": "2026-12-04T10:00:00.000000",
     "finish_time": "2026-12-04T10:00:01.000000", "result": "Success"},
    {"event": "spawn", "start_time": "2026-12-04T10:00:03.000000",
     "finish_time": None, "result": None},
    {"event": "image", "start_time": "2026-12-04T10:00:02.000000",
     "finish_time": "2026-12-04T10:00:03.000000", "result": "Error"},
]}


def test_the_timeline_lays_the_steps_out_in_time():
    rows, total, height = timeline.bars(SERVER, ACTION)
    assert [r["step"].split(" ", 1)[1] for r in rows] == [
        "API: request checked, instance written", "scheduling: filter, weigh, claim",
        "image: fetched from the image service or the cache",
        "boot: domain defined and started",
        "state: ACTIVE recorded through the conductor"]
    assert [r["state"] for r in rows] == ["ok", "ok", "failed", "running", "ok"]
    assert total == "9000 ms" and height == timeline.ROW_HEIGHT * 6 + 10
    first, second = rows[0], rows[1]
    assert first["x"] == timeline.LABEL_WIDTH
    assert second["x"] == pytest.approx(timeline.LABEL_WIDTH + timeline.CHART_WIDTH / 9, 0.1)
    assert rows[-1]["x"] == timeline.LABEL_WIDTH + timeline.CHART_WIDTH


def test_a_build_not_recorded_draws_nothing():
    assert timeline.bars({}, {"events": []})[0] == []


def request(header=None):
    return types.SimpleNamespace(get_header=lambda name: header)


def test_csrf_is_bound_to_the_session_token():
    expected = session.csrf_of("token-a")
    assert expected != session.csrf_of("token-b") and "token-a" not in expected
    session.check_csrf(request(), {"csrf_token": expected}, expected)
    session.check_csrf(request(expected), {}, expected)
    for form, header in (({}, None), ({"csrf_token": "x"}, None), ({}, "y")):
        with pytest.raises(session.CsrfRefused):
            session.check_csrf(request(header), form, expected)


class UploadCloud:
    """Records what the image upload asks of the cloud, reading the data as the image
    API does: in pieces, until it ends."""

    def __init__(self):
        self.calls, self.reads, self.received = [], [], 0

    def create_image(self, name, disk_format, visibility):
        self.calls.append(("create", name, disk_format, visibility))
        return {"id": "img-1"}

    def upload_image_data(self, image_id, data):
        while chunk := data.read(256 * 1024):
            self.reads.append(len(chunk))
            self.received += len(chunk)
        self.calls.append(("upload", image_id))


def multipart(fields, file_data, boundary="b0undary"):
    body = b""
    for name, value in fields:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                 f"{value}\r\n").encode()
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
             f'filename="disk.qcow2"\r\nContent-Type: application/octet-stream\r\n\r\n'
             ).encode() + file_data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def upload_client(monkeypatch):
    import falcon.testing

    from controller import dashboard
    from controller.dashboard import pages
    signed_in = session.Session(token="tok", user={"name": "u"}, project={"id": "p"},
                                roles=["member"], catalog=[])
    cloud = UploadCloud()
    monkeypatch.setattr(pages.Base, "session", lambda self, req: signed_in)
    monkeypatch.setattr(pages.Base, "cloud", lambda self, s: cloud)
    client = falcon.testing.TestClient(dashboard.create_app(types.SimpleNamespace()))
    return client, cloud, signed_in.csrf


def test_an_uploaded_file_streams_through_in_pieces(upload_client):
    client, cloud, csrf = upload_client
    data = bytes(range(256)) * (12 * 1024 + 7)             # a little over 3 MiB
    body, content_type = multipart([("csrf_token", csrf), ("name", "disk"),
                                    ("disk_format", "qcow2")], data)
    answer = client.simulate_post("/images", body=body,
                                  headers={"Content-Type": content_type})
    assert answer.status_code == 303 and answer.headers["Location"] == "/dashboard/images"
    assert cloud.calls == [("create", "disk", "qcow2", "private"), ("upload", "img-1")]
    assert cloud.received == len(data) and max(cloud.reads) <= 256 * 1024


@pytest.mark.parametrize("fields, status", [
    ([("name", "disk"), ("disk_format", "qcow2")], 403),              # no CSRF token
    ([("csrf_token", "0" * 40), ("disk_format", "qcow2")], 403),       # a forged one
    ([("csrf_token", "CSRF"), ("disk_format", "exe")], 400),           # no such format
])
def test_an_upload_is_checked_before_any_image_is_made(upload_client, fields, status):
    client, cloud, csrf = upload_client
    fields = [(name, csrf if value == "CSRF" else value) for name, value in fields]
    body, content_type = multipart(fields, b"data")
    answer = client.simulate_post("/images", body=body,
                                  headers={"Content-Type": content_type})
    assert answer.status_code == status and cloud.calls == []


def test_a_form_too_large_is_refused(upload_client):
    client, cloud, csrf = upload_client
    answer = client.simulate_post("/volumes", body="name=" + "x" * 70000,
                                  headers={"Content-Type": "application/x-www-form-"
                                                           "urlencoded"})
    assert answer.status_code == 413
