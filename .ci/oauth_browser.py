"""A headless stand-in for a person at a browser, for OAuth clients that "open the browser".

Installed as `xdg-open` (and `$BROWSER`) by .ci/mcp_remote.sh: given an authorization URL,
it signs in with $MINAPI_CI_EMAIL / $MINAPI_CI_PASSWORD when sent to /login, posts the consent
form (read and write), and follows the final 302 to the client's loopback callback, exactly as
a browser would. Every step is logged to $MINAPI_CI_BROWSER_LOG.
"""

import os
import re
import sys
import time
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def log(msg: str) -> None:
    with open(os.environ.get("MINAPI_CI_BROWSER_LOG", "/dev/stderr"), "a") as fh:
        fh.write(msg + "\n")


def main(url: str) -> int:
    email, password = os.environ["MINAPI_CI_EMAIL"], os.environ["MINAPI_CI_PASSWORD"]
    with httpx.Client(follow_redirects=False, timeout=30) as http:
        log(f"open {url}")
        resp = http.get(url)
        if resp.status_code == 302 and urlsplit(resp.headers["location"]).path == "/login":
            login = urljoin(url, resp.headers["location"])
            page = http.get(login)
            resp = http.post(login, data={"email": email, "password": password,
                                          "csrf_token": CSRF.search(page.text).group(1)})
            log(f"sign in: {resp.status_code} -> {resp.headers.get('location')}")
            resp = http.get(urljoin(url, parse_qs(urlsplit(login).query)["next"][0]))
        if resp.status_code == 200:  # the consent page
            main_part = resp.text.split("<main>", 1)[1]
            action = unescape(re.search(r'<form method="post" action="([^"]+)"', main_part).group(1))
            resp = http.post(urljoin(url, action), data={"csrf_token": CSRF.search(resp.text).group(1),
                                                         "access": "write", "decision": "allow"})
            log(f"consent: {resp.status_code}")
        if resp.status_code != 302:
            log(f"unexpected answer {resp.status_code}: {resp.text[:500]}")
            return 1
        callback = resp.headers["location"]
        log(f"callback {callback.split('?')[0]} ({', '.join(sorted(parse_qs(urlsplit(callback).query)))})")
        # Browsers fall back from ::1 to 127.0.0.1 for "localhost"; httpx does not, and mcp-remote
        # listens on 127.0.0.1 only. A person is slower than this script: the client may only now
        # be starting its callback listener, so wait for it a little.
        target = callback.replace("://localhost:", "://127.0.0.1:", 1)
        for attempt in range(40):
            try:
                done = http.get(target)
                break
            except httpx.ConnectError as exc:
                if attempt == 39:
                    log(f"callback failed: {exc!r}")
                    return 1
                time.sleep(0.25)
        log(f"callback answered {done.status_code}")
        return 0 if done.status_code < 400 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[-1]))
