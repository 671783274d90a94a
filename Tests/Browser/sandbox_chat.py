#!/usr/bin/env python3
"""Drive the Instagram sandbox page in headless Chromium, as a person would.

Usage: sandbox_chat.py <sandbox page URL> <screenshot path> [<image file to attach>]

Types a Markdown-laden message, presses Send, and waits for Sandra's reply bubble: the
page must show the person's message, then the echo reply as plain text (no Markdown
markers), in order. Then types two lines (Shift+Enter between them) and presses Enter: the
message must be sent at once and shown with its line break, and the fold under it must
show the webhook body delivered to the channel, the fold under the reply the Graph request
the host sent. With an image file, it then attaches the image with the paperclip, sends
it, and waits for the echo reply describing the image (its type and pixel size).
Exits 0 on success, 1 with a reason otherwise.
"""
import sys

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def opened_fold(driver, bubble):
    """Opens the fold (details) that follows a bubble and returns its text."""
    fold = bubble.find_element(By.XPATH, "following-sibling::details[1]")
    fold.find_element(By.TAG_NAME, "summary").click()
    return fold.find_element(By.TAG_NAME, "pre").text


def multi_line(driver, wait):
    """Two lines with Shift+Enter, sent with Enter; the raw bodies under both messages."""
    box = wait.until(EC.element_to_be_clickable((By.ID, "text")))
    wait.until(EC.element_to_be_clickable((By.ID, "send")))
    box.send_keys("first line")
    box.send_keys(Keys.SHIFT, Keys.ENTER)
    box.send_keys("second line")
    if box.get_attribute("value") != "first line\nsecond line":
        return ["Shift+Enter did not start a new line: %r" % box.get_attribute("value")]
    box.send_keys(Keys.ENTER)
    mine = wait.until(lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, ".bubble.me")
                                      if b.text == "first line\nsecond line"), None))
    reply = wait.until(lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, ".bubble.them")
                                       if "You said: first line" in b.text), None))
    problems = []
    if box.get_attribute("value") != "":
        problems.append("Enter did not send the message: %r" % box.get_attribute("value"))
    delivered = opened_fold(driver, mine)
    if not delivered.startswith("POST /api/channels/instagram") or '"text": "first line\\nsecond line"' not in delivered:
        problems.append("the fold under the message does not show the webhook delivered: %r" % delivered)
    sent = opened_fold(driver, reply)
    if not sent.startswith("POST /graph/") or '"messaging_type": "RESPONSE"' not in sent:
        problems.append("the fold under the reply does not show the Graph request: %r" % sent)
    return problems


def main() -> int:
    url, screenshot = sys.argv[1], sys.argv[2]
    image = sys.argv[3] if len(sys.argv) > 3 else None
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=900,900"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(url)
        wait = WebDriverWait(driver, 20)
        box = wait.until(EC.element_to_be_clickable((By.ID, "text")))
        message = "Hi Sandra, *what* can you do? <b>bold</b>"
        box.send_keys(message)
        driver.find_element(By.ID, "send").click()
        # The person's bubble, then Sandra's reply.
        wait.until(lambda d: any(b.text == message for b in d.find_elements(By.CSS_SELECTOR, ".bubble.me")))
        reply = wait.until(lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, ".bubble.them")
                                           if "You said:" in b.text), None))
        text = reply.text
        driver.save_screenshot(screenshot)
        problems = []
        if "You said: Hi Sandra, *what* can you do? <b>bold</b>" not in text:
            problems.append("the reply does not echo the message literally: %r" % text)
        if "**" in text or "](" in text:
            problems.append("Markdown markers leaked into the reply: %r" % text)
        if "• channel: instagram" not in text:
            problems.append("the reply's list was not rendered with bullets: %r" % text)
        bubbles = [b.get_attribute("class") for b in driver.find_elements(By.CSS_SELECTOR, "#thread .bubble")]
        if not bubbles or "me" not in bubbles[0]:
            problems.append("the person's message is not first: %r" % bubbles)
        # Nothing from the page may be injected as HTML.
        if driver.find_elements(By.CSS_SELECTOR, "#thread b"):
            problems.append("message text was rendered as HTML")
        if not problems:
            problems += multi_line(driver, wait)
        if image and not problems:
            # The file input is hidden behind the paperclip; a person's file choice is what
            # send_keys stands for.
            driver.find_element(By.ID, "file").send_keys(image)
            wait.until(lambda d: "KB" in d.find_element(By.ID, "chosen").text)
            # Send stays disabled until the first message's webhook call has answered, which
            # may come after the reply is shown: a click before then does nothing.
            wait.until(EC.element_to_be_clickable((By.ID, "send"))).click()
            wait.until(lambda d: any("image: image/png" in b.text for b in d.find_elements(By.CSS_SELECTOR, ".bubble.me")))
            described = wait.until(lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, ".bubble.them")
                                                   if "image: image/png" in b.text), None))
            driver.save_screenshot(screenshot)
            if "image: image/png, 5×3 px" not in described.text:
                problems.append("the reply does not describe the attached image: %r" % described.text)
        if problems:
            print("\n".join(problems))
            return 1
        print("ok")
        return 0
    except TimeoutException:
        driver.save_screenshot(screenshot)
        print("timed out waiting for the reply; page text: %r" % driver.find_element(By.TAG_NAME, "body").text[:2000])
        return 1
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
