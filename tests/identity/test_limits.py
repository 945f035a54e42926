"""Failed logins per client address: a sliding window."""

from __future__ import annotations

import pytest

from signum.gateway.identity.errors import TooManyAttemptsError
from signum.gateway.identity.limits import AddressLimiter


def test_the_window_slides_and_successes_do_not_count() -> None:
    now = [1000.0]
    limiter = AddressLimiter(3, 60, clock=lambda: now[0])
    limiter.begin("10.0.0.1")
    ok = limiter.begin("10.0.0.1")
    limiter.succeeded("10.0.0.1", ok)  # a right password gives its attempt back
    now[0] += 30
    limiter.begin("10.0.0.1")
    limiter.begin("10.0.0.1")
    with pytest.raises(TooManyAttemptsError) as refused:
        limiter.begin("10.0.0.1")
    assert refused.value.status_code == 429
    assert refused.value.headers == {"Retry-After": "30"}  # when the first failure leaves the window
    limiter.begin("10.0.0.2")  # another address is not affected
    now[0] += 30
    limiter.begin("10.0.0.1")  # the first failure left the window


def test_it_remembers_a_bounded_number_of_addresses() -> None:
    limiter = AddressLimiter(1, 60, max_addresses=2)
    limiter.begin("a")
    limiter.begin("b")
    limiter.begin("c")  # forgets "a", the address seen longest ago
    limiter.begin("a")
    with pytest.raises(TooManyAttemptsError):
        limiter.begin("c")
