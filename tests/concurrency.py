"""Release calls together on threads behind a Barrier and count how each ended.

Each thread runs on its own database connection (closed at the end); an exception the
test does not expect fails the test with the first three.
"""

import threading
from collections import Counter
from collections.abc import Callable, Iterable


def storm(calls: Iterable[Callable[[], object]], refusals: dict[type, Callable]) -> Counter:
    """Outcomes counted: "ok", or for a raised exception of a type in ``refusals`` the
    label ``refusals[type](exception)`` gives (e.g. its refusal code)."""
    from django.db import connections

    calls = list(calls)
    outcomes, errors = Counter(), []
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls))
    expected = tuple(refusals)

    def worker(call):
        try:
            barrier.wait(timeout=60)
            try:
                call()
                result = "ok"
            except expected as refused:
                label = next(f for kind, f in refusals.items() if isinstance(refused, kind))
                result = label(refused)
            except Exception as exc:  # reported below
                result = "error"
                errors.append(exc)
            with lock:
                outcomes[result] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    return outcomes
