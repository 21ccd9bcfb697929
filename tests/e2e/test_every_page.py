"""Every page of the demo, as each kind of user, on a phone in Chromium: what people read is plain
Chinese and Beijing time, nothing scrolls sideways, no link is broken, and axe-core finds no serious
or critical accessibility problem (at phone size, and at desktop size once per kind of page).

The crawl starts at each user's home and follows every same-site link (a few of each kind of page:
ids and page numbers are folded together), checks every link it sees, and reads each page's text.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import pytest

from credential_service.assessment.organisations import clients as org_clients
from credential_service.demo import DemoManifest, load_demo
from credential_service.identity.clients.models import ClientAuthMethod
from credential_service.identity.signin import staff as staff_signin
from credential_service.platform.tokens import Role
from credential_service.records.training import signin as institution_signin
from credential_service.runtime import Runtime
from tests.conftest import need
from tests.e2e import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE = Path(__file__).parents[1] / "interop" / "node" / "node_modules" / "axe-core" / "axe.min.js"
PAGES_PER_KIND = 3
MAX_PAGES = 60
# Links a crawl does not follow as pages: files, machine documents, and what changes state.
NOT_PAGES = re.compile(
    r"(\.(json|pdf|png|svg|csv|xlsx|jsonld)(\?|$))|^/(api|docs|redoc|openapi|contexts|schemas|log|status|orgs|"
    r"\.well-known|static)(/|$)|/signout$|[?&]lang="
)
# Latin words a Chinese page may carry: names of formats, standards and the sign-in fields' own names.
LATIN_ALLOWED = {
    "English", "PDF", "JSON", "CSV", "Excel", "QR", "ID", "CLR", "DID", "API", "JSON-LD", "LD", "Open",
    "Badges", "VC", "W3C", "client_id", "client_secret", "token", "admin", "auditor", "link", "credential",
    "service", "credential-service", "institution", "xlsx", "csv",
    # staff sign-in names are Latin identifiers (decision 018): the demo's and the tests'
    "crawler", "demo", "test", "e2e", "wang",
}  # fmt: skip
ISO_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\bUTC\b|Z\b(?=\s|$)")
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
PYTHON_VALUES = re.compile(r"\b(None|True|False|null|undefined|NaN)\b")
URL_OR_CODE = re.compile(r"(https?://|did:)\S+|\S*\d\S*")  # URLs, DIDs, and codes with a digit in them


@dataclass
class Crawl:
    pages: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    links_checked: dict[str, int] = field(default_factory=dict)


def kind_of(path: str) -> str:
    """A page's kind: its path with ids and page numbers folded, e.g. /admin/organisations/{}."""
    parts = urlsplit(path)
    segments = ["{}" if re.search(r"\d|^[A-Za-z0-9_-]{20,}$", s) else s for s in parts.path.split("/")]
    query = re.sub(r"=[^&]*", "=", parts.query)
    return "/".join(segments) + (f"?{query}" if query else "")


def text_problems(text: str) -> list[str]:
    """What a person should never read on a Chinese page."""
    found = [f"snake_case {m}" for m in SNAKE_CASE.findall(text) if m not in LATIN_ALLOWED]
    found += [f"machine value {m}" for m in PYTHON_VALUES.findall(text)]
    found += [f"timestamp {m.group(0)!r}" for m in ISO_TIMESTAMP.finditer(text)]
    words = re.findall(r"[A-Za-z][A-Za-z_-]*", URL_OR_CODE.sub(" ", text))
    found += [f"English word {w}" for w in dict.fromkeys(words) if w not in LATIN_ALLOWED]
    return found


HEADED_FACTS = ("结业日期：", "报名日期：")  # a timeline entry is headed by the date these facts record


def misdated_entries(page: Page) -> list[str]:
    """Timeline entries whose heading date is not the date the entry records."""
    found = []
    for entry in page.locator("ol.timeline li").all_inner_texts():
        heading, _, facts = entry.partition("\n")
        for label in HEADED_FACTS:
            if label in facts and not heading.startswith(facts.split(label, 1)[1][:10]):
                found.append(f"{heading!r} heads {label}{facts.split(label, 1)[1][:10]}")
    return found


def check_page(page: Page, url: str, crawl: Crawl, *, axe_desktop: bool) -> list[str]:
    """Reads one loaded page; returns the same-site links on it."""
    where = urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")
    problems = [f"{where}: {p}" for p in text_problems(page.locator("body").inner_text())]
    problems += [f"{where}: {p}" for p in misdated_entries(page)]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{where}: scrolls sideways by {overflow}px at 390px")
    problems += [f"{where}: axe (phone) {v}" for v in axe_violations(page)]
    if axe_desktop and page.locator("form").count():
        problems += [f"{where}: not reachable by keyboard {c}" for c in keyboard_unreachable(page)]
    if axe_desktop:
        size = page.viewport_size
        page.set_viewport_size({"width": 1280, "height": 800})
        problems += [f"{where}: axe (desktop) {v}" for v in axe_violations(page)]
        if size:
            page.set_viewport_size(size)
    crawl.problems += problems
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    return hrefs


FOCUSABLE = "a[href], input:not([type=hidden]), select, textarea, button"


def keyboard_unreachable(page: Page) -> list[str]:
    """The visible form controls that Tab never reaches (a keyboard user could not fill them in)."""
    count = page.evaluate(
        """(selector) => {
          window.__reached = new Set();
          document.addEventListener('focusin', e => window.__reached.add(e.target));
          return [...document.querySelectorAll(selector)].filter(e => e.getClientRects().length).length;
        }""",
        FOCUSABLE,
    )
    # A radio group is one Tab stop (arrow keys move within it): reaching one of its buttons is enough.
    missed_now = """(selector) => [...document.querySelectorAll(selector)]
      .filter(e => e.closest('form') && e.getClientRects().length && !window.__reached.has(e))
      .filter(e => !(e.type === 'radio' && [...window.__reached].some(
        r => r.type === 'radio' && r.name === e.name && r.form === e.form)))
      .map(e => `${e.tagName.toLowerCase()}#${e.id || e.name || e.textContent.trim()}`)"""
    page.locator("body").focus()
    missed: list[str] = page.evaluate(missed_now, FOCUSABLE)
    for _ in range(3 * count + 5):  # a date field takes three stops (year, month, day)
        if not missed:
            break
        page.keyboard.press("Tab")
        missed = page.evaluate(missed_now, FOCUSABLE)
    return missed


def axe_violations(page: Page) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluated over CDP: the page's CSP still holds
    found: list[str] = page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).slice(0, 3)}`);
        }"""
    )
    return found


def crawl(page: Page, site: str, start: str) -> Crawl:
    result = Crawl()
    queue = deque([start])
    seen_kinds: dict[str, int] = {}
    desktop_checked: set[str] = set()
    visited: set[str] = set()
    while queue and len(result.pages) < MAX_PAGES:
        path = queue.popleft()
        if path in visited:
            continue
        visited.add(path)
        response = page.goto(site + path)
        status = response.status if response else 0
        if status >= 400:
            result.problems.append(f"{path}: answered {status}")
            continue
        result.pages.append(path)
        kind = kind_of(path)
        for href in check_page(page, page.url, result, axe_desktop=kind not in desktop_checked):
            link = urlsplit(urljoin(page.url, href))
            if f"{link.scheme}://{link.netloc}" != site or not link.path:
                continue
            target = link.path + (f"?{link.query}" if link.query else "")
            if "lang=" in link.query:
                continue  # the language switch: the same page (and checking it would switch the cookie)
            if target not in result.links_checked:
                answer = page.request.get(site + target, max_redirects=5)
                result.links_checked[target] = answer.status
                if answer.status >= 400:
                    result.problems.append(f"{path}: link {target} answers {answer.status}")
            link_kind = kind_of(target)
            if NOT_PAGES.search(target) or seen_kinds.get(link_kind, 0) >= PAGES_PER_KIND:
                continue
            if target not in visited:
                seen_kinds[link_kind] = seen_kinds.get(link_kind, 0) + 1
                queue.append(target)
        desktop_checked.add(kind)
    return result


# ------------------------------------------------------------------------------------ the users


def sign_in_worker(page: Page, site: str, manifest: DemoManifest) -> str:
    who = manifest.sign_in
    page.goto(site + "/signin")
    page.select_option("#document_type", who["documentType"])
    page.fill("#id_number", who["idNumber"])
    page.fill("#name", who["name"])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(site + "/me")
    return "/me"


def sign_in_organisation(page: Page, site: str, runtime: Runtime, manifest: DemoManifest) -> str:
    code = manifest.batches[0]["organisation"]  # the demo enterprise with a batch in publicity
    with runtime.session() as session:
        client = org_clients.create_client(
            session, code, ClientAuthMethod.CLIENT_SECRET, public_base_url=site, actor="admin:e2e"
        )
    assert client.client_secret is not None
    page.goto(site + "/org/signin")
    page.fill("#client_id", client.client_id)
    page.fill("#client_secret", client.client_secret)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(site + "/org")
    return "/org"


def sign_in_staff(page: Page, runtime: Runtime, role: Role) -> str:
    page.goto(staff_signin.signin_link(runtime.keystore, runtime.settings, role, "crawler"))
    page.get_by_role("button", name="登录管理页面").click()
    expect(page.locator("h1")).to_be_visible()
    return "/admin"


def sign_in_institution(page: Page, site: str, runtime: Runtime, manifest: DemoManifest) -> str:
    with runtime.session() as session:
        link = institution_signin.signin_link(
            session, runtime.keystore, runtime.settings, manifest.institutions[0]["creditCode"]
        )
    page.goto(link)
    page.get_by_role("button", name="登录培训机构页面").click()
    expect(page).to_have_url(site + "/institution")
    return "/institution"


ROLES = ("anonymous", "worker", "organisation", "institution", "administrator", "auditor")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_reads_plainly_fits_a_phone_and_passes_axe(
    role: str, live_site: str, live_runtime: Runtime, make_page: Callable[..., Page]
) -> None:
    need(None if AXE.exists() else f"{AXE} is missing (scripts/setup_node.sh installs it)")
    manifest = load_demo(live_runtime, workers=30)
    page = make_page(phone=True)
    start = {
        "anonymous": lambda: "/",
        "worker": lambda: sign_in_worker(page, live_site, manifest),
        "organisation": lambda: sign_in_organisation(page, live_site, live_runtime, manifest),
        "institution": lambda: sign_in_institution(page, live_site, live_runtime, manifest),
        "administrator": lambda: sign_in_staff(page, live_runtime, Role.ADMIN),
        "auditor": lambda: sign_in_staff(page, live_runtime, Role.AUDITOR),
    }[role]()
    if role == "anonymous":  # the public pages an employer or a worker reaches without signing in
        extra = [manifest.certificates_by_status[s][0]["verificationUrl"] for s in ("valid", "revoked")]
        result = crawl(page, live_site, start)
        for url in extra:
            more = crawl(page, live_site, urlsplit(url).path)
            result.pages += more.pages
            result.problems += more.problems
    else:
        result = crawl(page, live_site, start)
    print(f"{role}: {len(result.pages)} pages read, {len(result.links_checked)} links checked")
    assert len(result.pages) >= 2, result.pages
    assert result.problems == [], "\n".join(result.problems)


def tab_to(page: Page, selector: str, most: int = 40) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user moves through a page."""
    for _ in range(most):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reaches {selector}")


def test_signing_in_works_by_keyboard_alone(
    live_site: str, live_runtime: Runtime, make_page: Callable[..., Page]
) -> None:
    manifest = load_demo(live_runtime, workers=30)
    page = make_page(phone=True)
    who = manifest.sign_in
    page.goto(live_site + "/signin")
    tab_to(page, "#id_number")  # the document type is 居民身份证 already
    page.keyboard.type(who["idNumber"])
    tab_to(page, "#name")
    page.keyboard.type(who["name"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_site + "/me")

    code = manifest.batches[0]["organisation"]
    with live_runtime.session() as session:
        client = org_clients.create_client(
            session, code, ClientAuthMethod.CLIENT_SECRET, public_base_url=live_site, actor="admin:e2e"
        )
    page = make_page(phone=True)
    page.goto(live_site + "/org/signin")
    tab_to(page, "#client_id")
    page.keyboard.type(client.client_id)
    tab_to(page, "#client_secret")
    page.keyboard.type(client.client_secret or "")
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_site + "/org")

    page = make_page(phone=True)
    page.goto(staff_signin.signin_link(live_runtime.keystore, live_runtime.settings, Role.ADMIN, "wang"))
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_site + "/admin")
