import threading

from amlmagic.widgets.poller import Poller


def test_stops_when_tick_returns_false():
    ticks = []
    poller = Poller(lambda: (ticks.append(1), len(ticks) < 3)[1], interval=0.01).start()
    assert poller.finished.wait(10)
    assert len(ticks) == 3 and poller.error is None


def test_stop_ends_the_loop_and_errors_are_kept():
    gate = threading.Event()
    poller = Poller(lambda: gate.set() or True, interval=0.01).start()
    assert gate.wait(10)
    poller.stop()
    assert poller.finished.wait(10)

    def boom():
        raise RuntimeError("backend down")

    failing = Poller(boom, interval=0.01).start()
    assert failing.finished.wait(10)
    assert str(failing.error) == "backend down"
