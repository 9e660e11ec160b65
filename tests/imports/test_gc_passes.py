"""Imports space out the cyclic GC's passes while they run, and put the thresholds back."""

import gc
import threading

from giftplatform.sheets import parallel
from gifts.imports import pipeline


def test_thresholds_are_raised_while_imports_run_and_restored_after():
    before = gc.get_threshold()
    with pipeline.fewer_gc_passes():
        assert gc.get_threshold()[0] >= parallel.GC_FIRST_THRESHOLD
        with pipeline.fewer_gc_passes():  # a second import at the same time (threads)
            pass
        assert gc.get_threshold()[0] >= parallel.GC_FIRST_THRESHOLD  # the first still runs
    assert gc.get_threshold() == before


def test_overlapping_imports_in_threads_restore_the_thresholds():
    before = gc.get_threshold()
    entered, release = threading.Barrier(3), threading.Event()

    def run():
        with pipeline.fewer_gc_passes():
            entered.wait()
            release.wait()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    entered.wait()
    assert gc.get_threshold()[0] >= parallel.GC_FIRST_THRESHOLD
    release.set()
    for thread in threads:
        thread.join()
    assert gc.get_threshold() == before


def test_collection_switched_off_stays_off():
    before = gc.get_threshold()
    gc.set_threshold(0)
    try:
        with pipeline.fewer_gc_passes():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)
