"""Follow every same-site link a signed-in person can reach, for tests that look at everything someone can see."""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient

LINK = re.compile(r"""(?:href|src|action)="([^"#]+)""")
#: Never follow these: signing out would end the crawl, static files carry no data.
SKIP = re.compile(r"^/(logout|static/)")


@dataclass
class Crawl:
    """Every page and file reached (path -> body text), and where each one was linked from."""

    bodies: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)

    def containing(self, needle: str) -> list[str]:
        """The paths whose body contains `needle` (case-insensitive)."""
        lowered = needle.lower()
        return sorted(path for path, body in self.bodies.items() if lowered in body.lower())


def crawl(client: FlaskClient, start: list[str], *, limit: int = 400) -> Crawl:
    """GET every page reachable from `start` through links on the same site (no forms are submitted).

    Form actions are fetched with GET too: a route that only accepts POST answers 405, which shows nothing.
    """
    seen: set[str] = set()
    queue = deque(start)
    result = Crawl()
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen or SKIP.match(path):
            continue
        seen.add(path)
        response = client.get(path)
        result.statuses[path] = response.status_code
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        body = _text(response)
        result.bodies[path] = body
        if response.status_code in (301, 302, 303):
            queue.append(_local(path, response.headers["Location"]) or "/")
        for link in LINK.findall(body):
            local = _local(path, link)
            if local and local not in seen:
                queue.append(local)
    return result


def _local(base: str, link: str) -> str | None:
    """The path (with query) of a link on this site; None for other sites and non-HTTP links."""
    parts = urlsplit(urljoin("http://localhost" + base, link.replace("&amp;", "&")))
    if parts.netloc != "localhost" or parts.scheme != "http":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _text(response) -> str:  # noqa: ANN001
    """The response as text: pages and data as they are, PDFs as their extracted text, other files not at all."""
    mimetype = response.mimetype
    if mimetype == "application/pdf":
        from io import BytesIO

        from pypdf import PdfReader

        reader = PdfReader(BytesIO(response.get_data()))
        metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
        return metadata + "\n" + "\n".join(page.extract_text() or "" for page in reader.pages)
    if mimetype.startswith("text/") or mimetype in ("application/json", "application/ld+json"):
        return response.get_data(as_text=True)
    return ""
