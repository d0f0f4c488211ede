"""The dashboard in a real headless browser (Debian's chromium and chromium-driver,
driven by Selenium) against a cloud that boots real guests: sign in, create a server
from the form, watch it become ACTIVE, its serial console shows the login banner, its
VNC console draws the screen, its build timeline shows, delete it; another project's
member sees none of it. Screenshots of each page go to ``tests.lib.browser.ARTIFACTS``."""
import os
import shutil
import time

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from tests.lib import browser as web
from tests.lib.cloud import ADMIN_PASSWORD
from tests.system.test_compute_libvirt import BOOT_TIMEOUT, libvirt_cloud

pytestmark = [pytest.mark.system, pytest.mark.slow]

DEMO_PASSWORD = "demo-secret"
SHOTS = "dashboard"
NOVNC_TIMEOUT = 120


@pytest.fixture(scope="module")
def cloud(libvirt_conn, tiny_image):
    with libvirt_cloud("ps-dashboard-", tiny_image, "10.238.0.0/24") as instance:
        instance.add_member_project("demo", DEMO_PASSWORD)
        yield instance


@pytest.fixture(scope="module")
def browser():
    with web.chromium() as driver:
        yield driver


def shot(driver, name, element=None):
    return web.shot(driver, SHOTS, name, element)


def wait(driver, timeout=30):
    return web.wait(driver, timeout)


def no_script_errors(driver):
    assert web.script_errors(driver) == []


def sign_in(driver, cloud, user, password):
    web.sign_in(driver, cloud.url, user, password)


def novnc_status(driver):
    return driver.execute_script(
        "const s = document.getElementById('status');"
        "return s ? s.textContent : 'page ' + document.readyState;")


def console_proxy_log(cloud):
    with open(os.path.join(cloud.workdir, "controller.log")) as f:
        return "".join(line for line in f if "consoleproxy" in line)


def open_novnc(driver, cloud, timeout=NOVNC_TIMEOUT):
    """Open the VNC console in the page until noVNC (in its frame) says "Connected".

    noVNC's own word ends the wait early: "Disconnected" or "Something went wrong" fail
    at once, with the browser's and the console proxy's logs, except that the proxy's
    503 (its token check found the database busy; the token stays valid) gets one more
    click, as a user would. The time limit is generous for a loaded machine."""
    for attempt in (1, 2):
        busy_before = console_proxy_log(cloud).count("not checked")
        driver.find_element(By.ID, "open-vnc").click()
        frame = wait(driver).until(EC.presence_of_element_located((By.ID, "vnc-console")))
        driver.switch_to.frame(frame)
        try:
            status = wait(driver, timeout).until(lambda d: next(
                (s for s in [novnc_status(d)]
                 if "Connected" in s or "Disconnected" in s or "wrong" in s), None))
        except TimeoutException:
            status = f"still {novnc_status(driver)!r} after {timeout} s"
        if "Connected" in status:
            return frame
        driver.switch_to.default_content()
        proxy_log = console_proxy_log(cloud)
        if attempt == 1 and proxy_log.count("not checked") > busy_before:
            continue
        browser_log = "\n".join(entry["message"] for entry in driver.get_log("browser"))
        # A handler thread's uncaught exception goes to the controller's stderr.
        with open(os.path.join(cloud.workdir, "stderr.log")) as f:
            stderr = "".join([line for line in f if " DEBUG " not in line][-30:])
        pytest.fail(f"noVNC did not connect: {status}\n--- browser\n{browser_log}\n"
                    f"--- console proxy\n{proxy_log}--- stderr\n{stderr}")


def test_a_server_from_sign_in_to_deletion(cloud, browser):
    driver = browser
    res = cloud.resources
    sign_in(driver, cloud, "admin", ADMIN_PASSWORD)
    driver.find_element(By.ID, "new-server").click()
    driver.find_element(By.ID, "server-name").send_keys("web-vm")
    Select(driver.find_element(By.ID, "server-image")).select_by_value(res.image)
    Select(driver.find_element(By.ID, "server-flavor")).select_by_value(res.flavor)
    Select(driver.find_element(By.ID, "server-network")).select_by_value(res.network)
    shot(driver, "01-create-form")
    driver.find_element(By.ID, "create").click()
    wait(driver, BOOT_TIMEOUT).until(
        EC.text_to_be_present_in_element((By.ID, "status"), "ACTIVE"))
    server_url = driver.current_url
    server_id = server_url.rsplit("/", 1)[1]
    shot(driver, "02-server-active")

    # The build timeline, drawn from the create action's events.
    # It is redrawn every 5 s: the build's last steps come in as the agent reports them.
    wait(driver, 60).until(lambda d: "boot: domain defined and started" in d.find_element(
        By.ID, "timeline").text)
    assert "scheduling: filter, weigh, claim" in driver.find_element(By.ID, "timeline").text
    shot(driver, "03-timeline", driver.find_element(By.ID, "timeline"))

    # The serial console: the banner the guest printed (its debug shell shows it again).
    driver.find_element(By.ID, "open-serial").click()
    terminal = wait(driver).until(EC.presence_of_element_located((By.ID, "serial-console")))
    wait(driver).until(lambda d: terminal.get_attribute("data-state") == "open")
    deadline = time.monotonic() + BOOT_TIMEOUT
    while "end of banner" not in (terminal.get_attribute("data-received") or ""):
        assert time.monotonic() < deadline, terminal.get_attribute("data-received")
        driver.execute_script("arguments[0].sendLine('');"
                              "arguments[0].sendLine('cat /run/pocketstack/banner');",
                              terminal)
        time.sleep(5)
    assert "hostname: web-vm" in terminal.get_attribute("data-received")
    shot(driver, "04-serial-console")

    # The VNC console: noVNC in the page connects through the proxy and draws a frame.
    open_novnc(driver, cloud)
    drawn = wait(driver, 60).until(lambda d: d.execute_script("""
        const canvas = document.querySelector('canvas');
        if (!canvas || !canvas.width) return 0;
        const pixels = canvas.getContext('2d').getImageData(
            0, 0, canvas.width, canvas.height).data;
        let lit = 0;
        for (let i = 0; i < pixels.length; i += 4) {
            if (pixels[i] || pixels[i + 1] || pixels[i + 2]) lit++;
        }
        return lit;"""))
    assert drawn > 100
    driver.switch_to.default_content()
    shot(driver, "05-vnc-console")
    no_script_errors(driver)

    # Another project's member sees none of it.
    sign_in(driver, cloud, "demo", DEMO_PASSWORD)
    assert "web-vm" not in driver.find_element(By.ID, "servers").text
    driver.get(server_url)
    assert "could not be found" in driver.find_element(By.ID, "error").text.lower() or \
        "not found" in driver.find_element(By.ID, "error").text.lower()
    shot(driver, "06-other-project")

    # Back as admin: the list, then delete from the server's page.
    sign_in(driver, cloud, "admin", ADMIN_PASSWORD)
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "servers"), "ACTIVE"))
    shot(driver, "07-servers")
    driver.get(server_url)
    driver.find_element(By.ID, "action-delete").click()
    driver.switch_to.alert.accept()
    wait(driver).until(EC.presence_of_element_located((By.ID, "servers")))
    wait(driver, 120).until(
        lambda d: "web-vm" not in d.find_element(By.ID, "servers").text)
    assert cloud.api.server(server_id) is None or cloud.api.server(server_id)[
        "status"] in ("DELETED",)
    no_script_errors(driver)


def test_the_admin_hosts_view(cloud, browser):
    sign_in(browser, cloud, "admin", ADMIN_PASSWORD)
    browser.get(cloud.url + "/dashboard/admin/hosts")
    host = cloud.sections["DEFAULT"]["host"]
    assert host in browser.find_element(By.CLASS_NAME, "hosts").text
    shot(browser, "08-hosts")
    no_script_errors(browser)


def teardown_module():
    """The pictures the README shows come from here (docs/), when asked for."""
    target = os.environ.get("POCKETSTACK_DOCS_SCREENSHOTS")
    if target:
        for name in ("07-servers", "03-timeline", "05-vnc-console"):
            source = os.path.join(web.ARTIFACTS, SHOTS, name + ".png")
            if os.path.exists(source):
                shutil.copy(source, os.path.join(target, f"dashboard-{name[3:]}.png"))
