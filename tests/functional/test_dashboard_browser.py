"""The dashboard in headless Chromium against a cloud with the fake driver (whose
guests' consoles are real listeners): sign in, create a server from the form, see it
ACTIVE, its serial console in term.js through the console proxy, its timeline, delete
it; another project's member sees none of it; no script error on any page; an image
uploaded from the form with its progress, and a refused one's error in the form. The real
guest's banner and VNC frame: tests/system/test_dashboard_browser.py."""
import os
import subprocess
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from tests.lib.browser import chromium, script_errors, shot, sign_in, wait
from tests.lib.cloud import ADMIN_PASSWORD

DEMO_PASSWORD = "demo-secret"
SHOTS = "dashboard-fake"


@pytest.fixture(scope="module")
def prepared(cloud):
    cloud.blank_image("tiny", "--public")
    cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                    "m1.nano")
    cloud.add_member_project("demo", DEMO_PASSWORD)
    return cloud


@pytest.fixture(scope="module")
def driver():
    with chromium() as browser:
        yield browser


def test_a_server_from_the_form_to_its_deletion(prepared, driver):
    sign_in(driver, prepared.url, "admin", ADMIN_PASSWORD)
    driver.find_element(By.ID, "new-server").click()
    driver.find_element(By.ID, "server-name").send_keys("browser-vm")
    Select(driver.find_element(By.ID, "server-image")).select_by_visible_text("tiny")
    shot(driver, SHOTS, "create-form")
    driver.find_element(By.ID, "create").click()
    wait(driver, 60).until(EC.text_to_be_present_in_element((By.ID, "status"), "ACTIVE"))
    server_url = driver.current_url
    timeline = wait(driver).until(EC.presence_of_element_located((By.ID, "timeline-svg")))
    assert "scheduling: filter, weigh, claim" in timeline.text
    wait(driver).until(EC.text_to_be_present_in_element(
        (By.ID, "log"), "pocketstack fake guest browser-vm"))

    driver.find_element(By.ID, "open-serial").click()
    terminal = wait(driver).until(EC.presence_of_element_located((By.ID, "serial-console")))
    wait(driver).until(lambda d: "pocketstack fake guest browser-vm" in (
        terminal.get_attribute("data-received") or ""))
    driver.execute_script("arguments[0].sendLine('typed in the page');", terminal)
    wait(driver).until(lambda d: "typed in the page" in terminal.get_attribute(
        "data-received"))                             # the fake guest echoes
    shot(driver, SHOTS, "server")

    driver.find_element(By.ID, "open-vnc").click()
    frame = wait(driver).until(EC.presence_of_element_located((By.ID, "vnc-console")))
    assert "vnc_lite.html?path=%3Ftoken%3D" in frame.get_attribute("src")
    assert [e for e in script_errors(driver) if "vnc_lite" not in e] == []

    sign_in(driver, prepared.url, "demo", DEMO_PASSWORD)
    assert "browser-vm" not in driver.find_element(By.ID, "servers").text
    driver.get(server_url)
    assert "not be found" in driver.find_element(By.ID, "error").text
    shot(driver, SHOTS, "other-project")

    sign_in(driver, prepared.url, "admin", ADMIN_PASSWORD)
    driver.get(server_url)
    driver.find_element(By.ID, "action-delete").click()
    driver.switch_to.alert.accept()
    wait(driver).until(EC.presence_of_element_located((By.ID, "servers")))
    deadline = time.monotonic() + 60
    while "browser-vm" in driver.find_element(By.ID, "servers").text:
        assert time.monotonic() < deadline, "the server did not go"
        time.sleep(1)
    assert script_errors(driver) == []


def test_every_page_without_a_script_error(prepared, driver):
    sign_in(driver, prepared.url, "admin", ADMIN_PASSWORD)
    for path in ("servers", "images", "networks", "volumes", "keypairs",
                 "security-groups", "floating-ips", "admin/hosts"):
        driver.get(f"{prepared.url}/dashboard/{path}")
        wait(driver).until(EC.presence_of_element_located((By.TAG_NAME, "main")))
        shot(driver, SHOTS, path.replace("/", "-"))
        assert script_errors(driver) == [], path


def test_an_image_upload_shows_its_progress_and_its_refusal(prepared, driver):
    path = os.path.join(prepared.workdir, "browser-upload.qcow2")
    subprocess.run(["qemu-img", "create", "-f", "qcow2", path, "2G"], check=True,
                   capture_output=True, timeout=60)
    sign_in(driver, prepared.url, "admin", ADMIN_PASSWORD)
    driver.get(prepared.url + "/dashboard/images")
    driver.find_element(By.ID, "image-name").send_keys("from-the-browser")
    Select(driver.find_element(By.ID, "image-format")).select_by_visible_text("qcow2")
    driver.find_element(By.ID, "image-file").send_keys(path)
    driver.find_element(By.ID, "upload").click()
    wait(driver, 60).until(lambda d: "from-the-browser" in d.find_element(
        By.ID, "images").text)
    row = driver.find_element(By.CSS_SELECTOR, 'tr[data-name="from-the-browser"]')
    assert "active" in row.text
    shot(driver, SHOTS, "images-uploaded")
    assert script_errors(driver) == []

    # A file that is not the format it claims: the image API's refusal shows in the
    # form, the bar having reached its end, and no image is left behind.
    bogus = os.path.join(prepared.workdir, "bogus.qcow2")
    with open(bogus, "wb") as f:
        f.write(b"not an image " * 50000)
    driver.find_element(By.ID, "image-name").send_keys("bogus")
    driver.find_element(By.ID, "image-file").send_keys(bogus)
    driver.find_element(By.ID, "upload").click()
    error = wait(driver).until(EC.visibility_of_element_located((By.ID, "upload-error")))
    assert "is not qcow2" in error.text and "answered" not in error.text, error.text
    assert driver.find_element(By.ID, "upload-progress").get_attribute("value") == "100"
    shot(driver, SHOTS, "images-refused")
    assert [i for i in prepared.openstack("image", "list") if i["Name"] == "bogus"] == []
