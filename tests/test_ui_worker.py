"""The generator runner delivers every item, in order, on the GUI thread, in slices."""

import threading

from rnnviz.ui.worker import GeneratorRunner


def _collect(runner):
    got, threads = [], []
    runner.sig_items.connect(
        lambda items: (got.extend(items), threads.append(threading.current_thread()))
    )
    return got, threads


def test_all_items_arrive_in_order_on_the_gui_thread(qtbot):
    runner = GeneratorRunner(iter(range(500)))
    got, threads = _collect(runner)
    with qtbot.waitSignal(runner.sig_finished, timeout=5000) as blocker:
        runner.start()
    assert blocker.args == ["done"]
    assert got == list(range(500))
    assert set(threads) == {threading.main_thread()}


def test_pause_step_resume_and_stop(qtbot):
    def slow():
        i = 0
        while True:
            yield i
            i += 1

    runner = GeneratorRunner(slow())
    got, _ = _collect(runner)
    runner.start(paused=True)
    qtbot.wait(150)
    assert got == []  # paused from the start: nothing produced
    runner.step_once()
    qtbot.waitUntil(lambda: got == [0], timeout=2000)
    qtbot.wait(100)
    assert got == [0]  # exactly one
    runner.resume()
    qtbot.waitUntil(lambda: len(got) > 50, timeout=2000)
    with qtbot.waitSignal(runner.sig_finished, timeout=2000) as blocker:
        runner.stop()
    assert blocker.args == ["stopped"]
    assert got == list(range(len(got)))


def test_a_slow_generator_leaves_the_event_loop_free_between_slices(qtbot):
    import time

    def slow():
        for i in range(40):
            time.sleep(0.004)  # 4 ms a step: a 12 ms budget gives ~3 per slice
            yield i

    runner = GeneratorRunner(slow(), rate_hz=50, budget_ms=12)
    batches = []
    runner.sig_items.connect(batches.append)
    with qtbot.waitSignal(runner.sig_finished, timeout=5000):
        runner.start()
    assert [i for b in batches for i in b] == list(range(40))
    assert len(batches) >= 8 and max(len(b) for b in batches) <= 5


def test_an_error_in_the_generator_is_reported_not_raised(qtbot):
    def broken():
        yield 1
        raise ValueError("bad step")

    runner = GeneratorRunner(broken())
    got, _ = _collect(runner)
    with qtbot.waitSignal(runner.sig_finished, timeout=2000) as blocker:
        runner.start()
    assert got == [1]
    assert blocker.args == ["error: ValueError: bad step"]
