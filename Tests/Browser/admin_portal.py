#!/usr/bin/env python3
"""Follow the guide's Option B in headless Chromium: Admin Portal → Settings → Instagram
Channel; enter Access Token, Verify Token and App Secret; click Save; then chat in the
sandbox with the new credentials.

Usage: admin_portal.py <base URL> <admin password> <access token> <verify token> <app secret> <screenshot path>

The host's Instagram channel must be unauthorized when this starts (the platform refused its
token). Checks, in order: the portal asks for a login; a wrong password is refused; the
right one opens the channel list; Settings → Instagram Channel shows the form with the
channel unauthorized; after Save the page says so, the channel is ready, and no secret is in
the page source; the status page says ready; the sandbox answers a new message.
Exits 0 on success, 1 with a reason otherwise.
"""
import sys

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def main() -> int:
    base, password, access_token, verify_token, app_secret, screenshot = sys.argv[1:7]
    secrets = (access_token, verify_token, app_secret, password)
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,1200"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    problems = []
    try:
        wait = WebDriverWait(driver, 20)
        # The portal sends a stranger to the login.
        driver.get(base + "/admin")
        wait.until(EC.presence_of_element_located((By.ID, "password")))
        if "/admin/login" not in driver.current_url:
            problems.append("not sent to the login page: %s" % driver.current_url)
        driver.find_element(By.ID, "password").send_keys("not the admin password")
        driver.find_element(By.ID, "login").click()
        problem = wait.until(EC.presence_of_element_located((By.ID, "login-problem")))
        if "Wrong password" not in problem.text:
            problems.append("a wrong password was not refused: %r" % problem.text)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "login").click()
        wait.until(EC.presence_of_element_located((By.ID, "state-instagram")))

        # Admin Portal → Settings → Instagram Channel.
        driver.find_element(By.LINK_TEXT, "Settings").click()
        driver.find_element(By.LINK_TEXT, "Instagram Channel").click()
        wait.until(EC.presence_of_element_located((By.ID, "field-access_token")))
        heading = driver.find_element(By.TAG_NAME, "h1").text
        if heading != "Settings → Instagram Channel":
            problems.append("unexpected heading %r" % heading)
        if driver.find_element(By.ID, "state").text != "unauthorized":
            problems.append("the channel should show unauthorized before the save, shows %r" % driver.find_element(By.ID, "state").text)
        for field, value in (("access_token", access_token), ("verify_token", verify_token), ("app_secret", app_secret)):
            box = driver.find_element(By.ID, "field-" + field)
            if box.get_attribute("type") != "password":
                problems.append("%s is not a masked field" % field)
            box.send_keys(value)
        driver.find_element(By.ID, "save").click()
        notice = wait.until(EC.presence_of_element_located((By.ID, "notice")))
        if not notice.text.startswith("Saved."):
            problems.append("no confirmation after Save: %r" % notice.text)
        if driver.find_element(By.ID, "state").text != "ready":
            problems.append("the channel is not ready after the save: %r" % driver.find_element(By.ID, "state").text)
        for field in ("access_token", "verify_token", "app_secret"):
            origin = driver.find_element(By.ID, "origin-" + field).text
            if not origin.startswith("Set · from portal"):
                problems.append("%s does not say it is set from the portal: %r" % (field, origin))
        source = driver.page_source
        for secret in secrets:
            if secret in source:
                problems.append("a secret is in the page source after the save")
        driver.save_screenshot(screenshot)

        # The status page agrees.
        driver.find_element(By.LINK_TEXT, "Status").click()
        state = wait.until(EC.presence_of_element_located((By.ID, "state")))
        if state.text != "ready":
            problems.append("the status page says %r" % state.text)

        # The sandbox answers with the new credentials.
        driver.get(base + "/sandbox/instagram/")
        box = wait.until(EC.element_to_be_clickable((By.ID, "text")))
        box.send_keys("hello after the new token")
        driver.find_element(By.ID, "send").click()
        wait.until(lambda d: any("You said: hello after the new token" in b.text
                                 for b in d.find_elements(By.CSS_SELECTOR, ".bubble.them")))
        driver.save_screenshot(screenshot)
    except TimeoutException:
        driver.save_screenshot(screenshot)
        problems.append("timed out; page %s text: %r" % (driver.current_url, driver.find_element(By.TAG_NAME, "body").text[:2000]))
    finally:
        driver.quit()
    if problems:
        print("\n".join(problems))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
