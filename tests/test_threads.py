import torch

from charlab.threads import ThreadTuner, thread_policy


class FakeMachine:
    """Iteration times as a function of the thread count, changeable mid-run (another process starts or stops)."""

    def __init__(self, times):
        self.times, self.threads, self.calls = times, 2, []

    def set_threads(self, n):
        self.threads = n
        self.calls.append(n)


def run(tuner, machine, iters):
    for _ in range(iters):
        tuner.observe(machine.times[machine.threads])


IDLE, BUSY = {2: 0.10, 1: 0.17}, {2: 1.0, 1: 0.18}  # seconds per iteration; busy: another process takes a core


def test_a_machine_busy_from_the_start_is_found_by_the_first_probe():
    machine = FakeMachine(BUSY)
    tuner = ThreadTuner(2, machine.set_threads, window=10, probe_every_s=60)
    run(tuner, machine, 20)  # one window at 2 threads, then the probe window at 1: faster, kept
    assert machine.threads == 1 and tuner.changes == [(10, 1)]
    run(tuner, machine, 1000)  # probes of 2 threads, once a minute, keep failing while the load lasts
    assert machine.threads == 1 and 2 <= machine.calls.count(2) <= 4


def test_a_collapse_moves_to_fewer_threads_at_once_and_the_load_leaving_moves_back():
    machine = FakeMachine(IDLE)
    tuner = ThreadTuner(2, machine.set_threads, window=10, probe_every_s=60)
    run(tuner, machine, 20)
    assert machine.threads == 2 and machine.calls == [1, 2]  # the first probe: one thread is slower, back to 2
    run(tuner, machine, 100)
    machine.times = BUSY
    run(tuner, machine, 10)  # one window shows the collapse (10x the best at 2 threads): probe at once
    run(tuner, machine, 10)  # the probe window: one thread is faster, kept
    assert machine.threads == 1
    machine.times = IDLE  # the other process ends
    run(tuner, machine, 400)  # within a minute of training a probe of 2 threads finds them faster again
    assert machine.threads == 2


def test_a_difference_within_the_margin_does_not_move():
    machine = FakeMachine({2: 0.100, 1: 0.095})  # 5% is noise, not a reason to change
    tuner = ThreadTuner(2, machine.set_threads, window=5, probe_every_s=2, margin=0.1)
    run(tuner, machine, 200)
    while tuner.probing:
        run(tuner, machine, 1)
    assert machine.threads == 2 and len(machine.calls) >= 10 and machine.calls[1::2] == [2] * (len(machine.calls) // 2)


def test_one_thread_has_nothing_to_tune_and_the_policy_restores_the_count():
    machine = FakeMachine({1: 0.1})
    machine.threads = 1
    tuner = ThreadTuner(1, machine.set_threads, window=2, probe_every_s=0.2)
    run(tuner, machine, 20)
    assert machine.calls == []
    before = torch.get_num_threads()
    with thread_policy(1, torch.device("cpu")) as tuner:
        assert tuner is None and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    torch.set_num_threads(2)
    try:
        with thread_policy(0, torch.device("cpu")) as tuner:
            assert isinstance(tuner, ThreadTuner) and tuner.max_threads == 2
            torch.set_num_threads(1)  # what the tuner may do during the run
        assert torch.get_num_threads() == 2  # not leaked into the next run
    finally:
        torch.set_num_threads(before)
