"""Release calls together on threads behind a Barrier and count how each ended.

Each thread runs on its own database connection (closed at the end); an exception the
test does not expect fails the test with the first three.
"""

import threading
from collections import Counter
from collections.abc import Callable, Iterable


def storm(
    calls: Iterable[Callable[[], object]],
    refusals: dict[type, Callable],
    threads: int | None = None,
) -> Counter:
    """Outcomes counted: "ok", or for a raised exception of a type in ``refusals`` the
    label ``refusals[type](exception)`` gives (e.g. its refusal code). One thread per
    call, or ``threads`` threads taking the calls in turn (PostgreSQL allows 100
    connections here), all released together."""
    from django.db import connections

    queue = list(calls)
    outcomes, errors = Counter(), []
    lock = threading.Lock()
    count = min(threads or len(queue), len(queue))
    barrier = threading.Barrier(count)
    expected = tuple(refusals)

    def run(call) -> str:
        try:
            call()
            return "ok"
        except expected as refused:
            return next(f for kind, f in refusals.items() if isinstance(refused, kind))(refused)
        except Exception as exc:  # reported below
            errors.append(exc)
            return "error"

    def worker():
        try:
            barrier.wait(timeout=60)  # a thread that failed early must not hang the rest
            while True:
                with lock:
                    if not queue:
                        return
                    call = queue.pop()
                result = run(call)
                with lock:
                    outcomes[result] += 1
        finally:
            connections.close_all()

    workers = [threading.Thread(target=worker) for _ in range(count)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    return outcomes
