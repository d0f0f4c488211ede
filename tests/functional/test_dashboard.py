"""The dashboard over plain HTTP (no browser): sign-in and its cookie, CSRF on every
form, a server created, acted on and deleted from the forms, its timeline and consoles,
every page rendering, and the API's policy: another project's member sees none of it."""
import re

import pytest

from tests.lib.cloud import ADMIN_PASSWORD
from tests.lib.dashboard import Browser

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def prepared(cloud):
    cloud.blank_image("tiny", "--public")
    cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                    "m1.nano")
    cloud.add_member_project("demo", DEMO_PASSWORD)
    return cloud


@pytest.fixture(scope="module")
def admin(prepared):
    browser = Browser(prepared)
    assert browser.login("admin", ADMIN_PASSWORD).status_code == 303
    return browser


def test_sign_in_sets_a_guarded_cookie_and_refuses_bad_passwords(prepared):
    browser = Browser(prepared)
    assert browser.get("/servers", allow_redirects=False).headers["Location"].endswith(
        "/dashboard/login")
    wrong = browser.login("admin", "wrong")
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    answer = browser.login("admin", ADMIN_PASSWORD)
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert "pocketstack_session=" in cookie
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/dashboard"):
        assert flag in cookie
    # The session's token is nowhere in a URL: every link and form is token-free.
    page = browser.get("/servers").text
    token = browser.http.cookies["pocketstack_session"]
    assert token not in page


def test_a_post_without_the_csrf_token_is_refused(admin):
    refused = admin.post("/servers", {"name": "x", "image": "y", "flavor": "z"},
                         csrf=False)
    assert refused.status_code == 403 and "another site" in refused.text
    forged = admin.post("/servers", {"name": "x"}, csrf="0" * 40)
    assert forged.status_code == 403


def test_a_server_from_the_form_to_its_deletion(prepared, admin, compute_session):
    form = admin.get("/servers/new").text
    image = re.search(r'<option value="([^"]+)">tiny</option>', form).group(1)
    flavor = re.search(r'<option value="([^"]+)">m1.nano', form).group(1)
    created = admin.post("/servers", {"name": "dash-vm", "image": image, "flavor": flavor})
    assert created.status_code == 303
    server_id = created.headers["Location"].rsplit("/", 1)[1]
    compute_session().wait_for_server(server_id, ("ACTIVE",))
    rows = admin.get("/servers", headers={"HX-Request": "true"}).text
    assert "dash-vm" in rows and "ACTIVE" in rows and "<html" not in rows
    detail = admin.get(f"/servers/{server_id}").text
    assert "dash-vm" in detail and 'id="timeline"' in detail
    timeline = admin.get(f"/servers/{server_id}/timeline").text
    assert "<svg" in timeline and "scheduling: filter, weigh, claim" in timeline
    assert "boot: domain defined and started" in timeline or "build on the host" in timeline
    log = admin.get(f"/servers/{server_id}/log").text
    assert "pocketstack fake guest dash-vm" in log
    serial = admin.post(f"/servers/{server_id}/console/serial").text
    assert re.search(r'data-url="ws://127\.0\.0\.1:\d+/\?token=', serial)
    vnc = admin.post(f"/servers/{server_id}/console/vnc").text
    assert "vnc_lite.html?path=%3Ftoken%3D" in vnc
    stop = admin.post(f"/servers/{server_id}/stop")
    assert stop.status_code == 303
    compute_session().wait_for_server(server_id, ("SHUTOFF",))
    assert admin.post(f"/servers/{server_id}/delete").status_code == 303
    assert compute_session().wait_for_server(server_id, (None,)) is None
    assert "dash-vm" not in admin.get("/servers").text


def test_every_page_renders(admin):
    for path in ("/servers", "/images", "/networks", "/volumes", "/keypairs",
                 "/security-groups", "/floating-ips", "/admin/hosts", "/servers/new"):
        page = admin.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert "pocketstack" in page.text
    assert admin.get("/static/htmx.min.js").status_code == 200
    assert admin.get("/static/term.js").status_code == 200
    assert admin.get("/nothing-here").status_code == 404


def test_another_projects_member_sees_none_of_it(prepared, admin, compute_session):
    form = admin.get("/servers/new").text
    image = re.search(r'<option value="([^"]+)">tiny</option>', form).group(1)
    flavor = re.search(r'<option value="([^"]+)">m1.nano', form).group(1)
    created = admin.post("/servers", {"name": "admins-only", "image": image,
                                      "flavor": flavor})
    server_id = created.headers["Location"].rsplit("/", 1)[1]
    demo = Browser(prepared)
    assert demo.login("demo", DEMO_PASSWORD).status_code == 303
    assert "admins-only" not in demo.get("/servers").text
    assert demo.get(f"/servers/{server_id}").status_code == 404
    assert demo.post(f"/servers/{server_id}/delete").status_code == 404
    assert demo.get("/admin/hosts").status_code == 403
    assert "Hosts" not in demo.get("/servers").text.split("<main>")[0]
