"""Headless Chromium (Debian's chromium and chromium-driver) under Selenium, for the
dashboard's browser tests; screenshots go to ``ARTIFACTS``."""
import contextlib
import os

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ARTIFACTS = os.environ.get("POCKETSTACK_TEST_ARTIFACTS",
                           "/var/tmp/pocketstack-test-artifacts")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@contextlib.contextmanager
def chromium():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        raise RuntimeError("chromium and chromium-driver are missing: run "
                           "tools/install.sh --test")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,1100", "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver, directory, name, element=None):
    """A screenshot of the page (or of ``element``) kept as a test artefact."""
    os.makedirs(os.path.join(ARTIFACTS, directory), exist_ok=True)
    path = os.path.join(ARTIFACTS, directory, name + ".png")
    if element is not None:
        element.screenshot(path)
    else:
        driver.save_screenshot(path)
    return path


def wait(driver, timeout=30):
    return WebDriverWait(driver, timeout, poll_frequency=0.5)


def script_errors(driver):
    """The page's errors since the last look (a page answered with an error status,
    as a 404 the test asked for, is not one)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and entry.get("source") != "network"]


def sign_in(driver, base_url, user, password):
    driver.delete_all_cookies()
    driver.get(base_url + "/dashboard/login")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "sign-in").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "servers")))
