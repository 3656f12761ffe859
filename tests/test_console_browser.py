"""The console in a real browser: headless Chromium (Debian's ``chromium`` +
``chromium-driver``) driven by Selenium against a real uvicorn server on
loopback. It logs in, reads the week's alert, opens an issue, corrects three
tags in the review queue and checks the API shows them; screenshots of the main
pages are taken (and checked to be pictures) in the session's tmp dir, never in
the working tree: set ``HOTLINE_NLP_CONSOLE_SHOTS=docs/console`` to refresh the
README's pictures on purpose.

Skipped, with the reason, only when the browser or its driver is not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("HOTLINE_NLP_CHROMIUM", "/usr/bin/chromium")
DRIVER = os.environ.get("HOTLINE_NLP_CHROMEDRIVER", "/usr/bin/chromedriver")
# where the screenshots go: the session's tmp dir unless asked (tests never modify tracked files)
SHOTS_ENV = "HOTLINE_NLP_CONSOLE_SHOTS"
ANALYST = "browser-analyst-key-0001"
PLATFORM = "browser-platform-key-001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(settings):
    """A real uvicorn server on loopback for ``settings``, in a thread; yields its URL."""
    import uvicorn
    from hotline_nlp.service.app import create_app

    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    try:
        yield url
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def _keys():
    from hotline_nlp.service.auth import ApiKey

    return (ApiKey("zhang", "analyst", ANALYST), ApiKey("hub", "ingest", PLATFORM))


@pytest.fixture(scope="module")
def server(tmp_path_factory, service_models_dir):
    from hotline_nlp.service.settings import Settings
    from support import synthetic_rows

    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings(
        model="demo", db_url=f"sqlite:///{tmp / 'c.db'}", models_dir=service_models_dir, api_keys=_keys()
    )
    for url in _serve(settings):
        items = [
            {k: r[k] for k in ("id", "created_at", "title", "body", "district")}
            for r in synthetic_rows(400, 61)
        ]
        res = httpx.post(
            f"{url}/v1/complaints", json={"items": items}, headers={"X-API-Key": PLATFORM}, timeout=120
        )
        assert res.status_code == 201, res.text
        yield url


@pytest.fixture(scope="module")
def city_server(tmp_path_factory):
    """A one-level model (一级分类 only, like zhwz2020) with a dispatcher."""
    from hotline_nlp.service.settings import Settings
    from test_console_review_models import city_items, train_city_model

    tmp = tmp_path_factory.mktemp("browser-city")
    models = train_city_model(tmp / "models")
    settings = Settings(model="city", db_url=f"sqlite:///{tmp / 'c.db'}", models_dir=models, api_keys=_keys())
    for url in _serve(settings):
        res = httpx.post(
            f"{url}/v1/complaints", json={"items": city_items()}, headers={"X-API-Key": PLATFORM}, timeout=120
        )
        assert res.status_code == 201, res.text
        yield url


@pytest.fixture(scope="module")
def browser():
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
    if missing:
        pytest.skip(
            f"no headless browser: {', '.join(missing)} missing (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hotline-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1366,768",
        "--lang=zh-CN",
    ):
        opts.add_argument(flag)
    from selenium.common.exceptions import WebDriverException

    try:
        driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    except WebDriverException as e:  # installed but cannot start here (no display libs, ...)
        pytest.skip(f"headless Chromium does not start: {str(e).splitlines()[0][:200]}")
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _wait(driver, what, timeout=180):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)  # the card is swapped under us
    return WebDriverWait(driver, timeout, poll_frequency=0.25, ignored_exceptions=ignored).until(what)


def _item_id(driver) -> str | None:
    return driver.execute_script("const e = document.getElementById('item'); return e && e.dataset.id")


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    chosen = os.environ.get(SHOTS_ENV)
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("console-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shot(driver, shots: Path, name: str, full: bool = False) -> None:
    # the page's web font must be in before the picture is taken
    _wait(driver, lambda d: d.execute_script("return document.fonts.status") == "loaded", 60)
    if full:
        h = driver.execute_script("return Math.min(document.body.scrollHeight, 2400)")
        driver.set_window_size(1366, max(768, h))
    path = shots / f"{name}.png"
    driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    driver.set_window_size(1366, 768)


def test_analyst_logs_in_reads_the_alert_and_corrects_three_tags(server, browser, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    d = browser
    d.get(f"{server}/ui/")
    _wait(d, lambda d: "/ui/login" in d.current_url)  # no session: the login page
    _shot(d, shots, "login")
    d.find_element(By.ID, "key").send_keys(ANALYST)
    d.find_element(By.ID, "login").click()
    _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "p.summary"))  # the alert, once computed
    assert "热点预警" in d.title or "本周预警" in d.title
    issues = d.find_elements(By.CSS_SELECTOR, "a.issue-title")
    assert issues, "the alert lists no issue"
    # the CJK web font is the one in use
    assert d.execute_script("return document.fonts.check('14px \"Noto Sans CJK SC Web\"', '热线')")
    _shot(d, shots, "alert", full=True)

    issues[0].click()
    _wait(d, lambda d: "/ui/issues/" in d.current_url and d.find_elements(By.CSS_SELECTOR, "svg.trend"))
    assert d.find_elements(By.CSS_SELECTOR, "table.grid tbody tr")
    _shot(d, shots, "issue", full=True)

    d.get(f"{server}/ui/review")
    decided: dict[str, str | None] = {}
    for n in range(3):
        item = _wait(d, lambda d: d.find_element(By.ID, "item"))
        cid, tag = item.get_attribute("data-id"), d.find_element(By.ID, "tag").text
        if n == 0:
            _shot(d, shots, "review")
            d.find_element(By.ID, "accept").click()  # one click accepts the tag
            decided[cid] = tag
        else:
            select = Select(d.find_element(By.ID, "correct"))
            other = next(
                o.get_attribute("value") for o in select.options if o.get_attribute("value") not in ("", tag)
            )
            select.select_by_value(other)  # choosing a category corrects it
            decided[cid] = other
        _wait(d, lambda d, cid=cid: _item_id(d) not in (None, cid), 60)
        assert "/ui/review" in d.current_url  # swapped in place, no navigation
    assert "已处理 3 条" in d.find_element(By.ID, "last").text

    for cid, path in decided.items():
        got = httpx.get(f"{server}/v1/complaints/{cid}", headers={"X-API-Key": ANALYST}).json()
        assert got["category"] == path and got["correction"]["labelled_by"] == "zhang", got

    d.get(f"{server}/ui/complaints?corrected=yes")
    rows = d.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert len(rows) == 3
    _shot(d, shots, "search")
    d.get(f"{server}/ui/metrics")
    assert "已人工审核 3 件" in d.find_element(By.TAG_NAME, "main").text.replace("\n", "")
    _shot(d, shots, "metrics")
    d.get(f"{server}/ui/bulletin")
    _shot(d, shots, "bulletin")


def test_one_level_model_corrections_and_the_unit_in_the_browser(city_server, browser, shots):
    """zhwz2020's case: a model with 一级分类 only. The 更正为 list holds its level-1
    categories (it held empty groups), a unit typed in the unit box is stored with
    the decision, 待审 counts the complaints that need review, and the metrics page
    has no 二级分类准确率."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    d, api = browser, httpx.Client(base_url=city_server, headers={"X-API-Key": ANALYST}, timeout=60)
    d.delete_all_cookies()
    d.get(f"{city_server}/ui/login?next=/ui/review")
    d.find_element(By.ID, "key").send_keys(ANALYST)
    d.find_element(By.ID, "login").click()
    item = _wait(d, lambda d: d.find_element(By.ID, "item"))
    flagged = api.get("/v1/complaints", params={"needs_review": "true", "corrected": "false"}).json()["total"]
    assert f"待审 {flagged} 条" in item.text and flagged > 0
    select = Select(d.find_element(By.ID, "correct"))
    values = [o.get_attribute("value") for o in select.options if o.get_attribute("value")]
    assert values == ["住房建设", "供热", "教育"]  # the level-1 categories, choosable
    cid, tag = item.get_attribute("data-id"), d.find_element(By.ID, "tag").text
    assert d.find_element(By.ID, "rec-unit").text
    _shot(d, shots, "review-one-level")
    d.find_element(By.ID, "unit").send_keys("市热力公司")
    other = next(v for v in values if v != tag)
    select.select_by_value(other)
    _wait(d, lambda d: _item_id(d) not in (None, cid), 60)
    got = api.get(f"/v1/complaints/{cid}").json()
    assert got["category"] == other and got["correction"]["unit"] == "市热力公司", got
    assert got["correction"]["labelled_by"] == "zhang"
    # the next one: accept, with a unit typed and Enter in the unit box
    cid2 = _item_id(d)
    box = d.find_element(By.ID, "unit")
    box.send_keys("东山区教育局\n")
    _wait(d, lambda d: _item_id(d) not in (None, cid2), 60)
    got = api.get(f"/v1/complaints/{cid2}").json()
    assert got["labels"]["level1"] == got["tags"]["level1"] and got["correction"]["unit"] == "东山区教育局"
    assert f"待审 {flagged - 2} 条" in d.find_element(By.ID, "item").text
    d.get(f"{city_server}/ui/metrics")
    main = d.find_element(By.TAG_NAME, "main").text
    assert "一级分类准确率" in main and "二级分类准确率" not in main
