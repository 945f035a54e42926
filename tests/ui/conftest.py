"""The browser of the UI tests (Debian's chromium, driven by Playwright) and logging in with it."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

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


async def wait_until(page: Page, expression: str, arg: Any = None, *, timeout: float = 20_000) -> None:  # noqa: ASYNC109
    """Wait until `expression` (or the function it holds, called with `arg`) is truthy in `page`.

    `Page.wait_for_function` compiles its predicate inside the page with `eval`, which the pages'
    Content-Security-Policy forbids; this evaluates it through the DevTools protocol instead, as
    `page.evaluate` does, checking again every animation-frame-sized interval until `timeout` ms.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        handle = await page.evaluate_handle(expression, arg)
        try:
            if await handle.evaluate("(value) => Boolean(value)"):
                return
        finally:
            await handle.dispose()
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true within {timeout:.0f} ms: {expression}")
        await asyncio.sleep(0.02)


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
