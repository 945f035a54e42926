"""The browser of the UI tests (Debian's chromium, driven by Playwright) and logging in with it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from signum.testing.people import PASSWORD, World

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# What Chromium reports as blocked by the pages' Content-Security-Policy during the current test.
CSP_VIOLATIONS: list[str] = []


def watch_csp(page: Page) -> Page:
    """Record on `page` every Content-Security-Policy violation (the test then fails)."""

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{page.url}: {message.text}")

    page.on("console", seen)
    return page


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """Every page watched by `watch_csp` (all of `logged_in`) works under its CSP."""
    CSP_VIOLATIONS.clear()
    yield
    assert not CSP_VIOLATIONS, "\n".join(CSP_VIOLATIONS)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Chromium is installed by `make system-deps` (Debian package chromium)"
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        await b.close()


async def log_in(page: Page, world: World, key: str) -> None:
    """Log `key` in through the login page, as a person would."""
    await page.goto(world.gateway + "/")
    await page.fill("#usuario", world.people[key].correo)
    await page.fill("#contrasena", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#salir")


async def logged_in(browser: Browser, world: World, key: str) -> Page:
    """A page of a fresh browser context (its own cookies) with `key` logged in."""
    page = watch_csp(await (await browser.new_context()).new_page())
    page.set_default_timeout(20_000)
    await log_in(page, world, key)
    return page
