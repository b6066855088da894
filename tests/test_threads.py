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


def test_a_collapse_moves_to_fewer_threads_at_once_and_the_load_leaving_moves_back():
    machine = FakeMachine({2: 0.10, 1: 0.17})  # idle: two threads are faster
    tuner = ThreadTuner(2, machine.set_threads, window=10, probe_every=100)
    run(tuner, machine, 100)
    assert machine.threads == 1  # iteration 100: a window with one thread fewer starts (a probe)
    run(tuner, machine, 10)
    assert machine.threads == 2 and machine.calls == [1, 2]  # it was slower: back to 2
    machine.times = {2: 1.0, 1: 0.18}  # another process takes a core: two threads collapse
    run(tuner, machine, 10)  # one window shows the collapse (10x the best): probe at once
    run(tuner, machine, 10)  # the probe window: one thread is faster, kept
    assert machine.threads == 1
    run(tuner, machine, 300)  # probes of 2 threads keep failing while the load lasts
    assert machine.threads == 1
    machine.times = {2: 0.10, 1: 0.17}  # the other process ends
    run(tuner, machine, 120)
    assert machine.threads == 2
    assert tuner.changes[0] == (100, 1)


def test_a_difference_within_the_margin_does_not_move():
    machine = FakeMachine({2: 0.100, 1: 0.095})  # 5% is noise, not a reason to change
    tuner = ThreadTuner(2, machine.set_threads, window=5, probe_every=20, margin=0.1)
    run(tuner, machine, 205)  # 10 probes, each ended
    assert machine.threads == 2 and len(machine.calls) == 20


def test_one_thread_has_nothing_to_tune_and_the_policy_restores_the_count():
    machine = FakeMachine({1: 0.1})
    machine.threads = 1
    tuner = ThreadTuner(1, machine.set_threads, window=2, probe_every=2)
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
