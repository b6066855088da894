"""The process around training: stop signals turned into a checkpoint, and the ranks of `torchrun`.

Under `torchrun --nproc_per_node N -m charlab train ...` each process is one rank. `Ranks` holds the few
collective operations the training loop needs, each a no-op in a single process, so the loop reads the same either
way: the mean loss of the whole batch, rank 0's number, whether any rank was asked to stop, and the carried state of
every rank's streams gathered in order (so the checkpoint is the one a single process would write).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator

import torch
import torch.distributed as dist

from .model import State

# What a user, a scheduler, `docker stop` or a closed terminal sends: each stops training like Ctrl-C.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def deferred_stop(flag: dict[str, bool]) -> Iterator[None]:
    """Turn the first SIGINT, SIGTERM or SIGHUP into a flag checked between iterations, so a checkpoint is written
    before the process ends; a second one interrupts at once."""
    try:
        previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

        def handler(signum, frame):
            if flag["stop"]:
                for sig, old in previous.items():
                    signal.signal(sig, old)
                raise KeyboardInterrupt
            flag["stop"] = True

        for sig in STOP_SIGNALS:
            signal.signal(sig, handler)
    except ValueError:  # not in the main thread: no signal can reach us anyway
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class Ranks:
    """This process's place among torchrun's (rank 0 of 1 without it) and the collectives training needs."""

    def __init__(self, device: torch.device):
        """Under torchrun (WORLD_SIZE > 1) join the process group, gloo on CPU and NCCL on GPU (each rank on
        cuda:$LOCAL_RANK)."""
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank, self.own_group, self.device = 0, False, device
        self._held: tuple[torch.Tensor, ...] = ()
        if self.world == 1:
            return
        if device.type == "cuda":
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(self.device)
        self.own_group = not dist.is_initialized()
        if self.own_group:
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        self.rank, self.world = dist.get_rank(), dist.get_world_size()

    @property
    def lead(self) -> bool:
        """Rank 0: the one process that writes files, prints and runs callbacks."""
        return self.rank == 0

    def close(self) -> None:
        if self.own_group:
            dist.destroy_process_group()

    def _hold(self, *tensors: torch.Tensor) -> None:
        """Keep the latest collective's tensors referenced from Python until the next collective. gloo's worker
        thread frees a finished collective's work after the caller has returned; if that drops the last reference
        to a tensor Python made, it needs the GIL, and a process tearing down its process group (the DDP reducer
        freed at the end of training) joins that thread while holding the GIL: a deadlock, seen under torchrun as
        a resumed run whose rank hung after training (~ProcessGroupGloo joining a thread in ~AsyncAllgatherWork).
        Held here, the worker only decrements a count, which needs no GIL."""
        self._held = tensors

    def rows(self, batch: int) -> slice:
        """The rows of a batch of `batch` streams that this rank reads (all of them in one process)."""
        local = batch // self.world
        return slice(self.rank * local, (self.rank + 1) * local)

    def my_rows(self, state: State | None, batch: int) -> State | None:
        """This rank's streams of a state for the whole batch (layers x batch x hidden)."""
        if state is None or self.world == 1:
            return state
        rows = self.rows(batch)
        return tuple(s[:, rows] for s in state) if isinstance(state, tuple) else state[:, rows]

    def gather(self, state: State | None) -> State | None:
        """The carried state of the whole batch, every rank's streams in order (every rank calls this)."""
        if self.world == 1 or state is None:
            return state

        held: list[torch.Tensor] = []

        def one(t: torch.Tensor) -> torch.Tensor:
            parts, src = [torch.empty_like(t) for _ in range(self.world)], t.contiguous()
            dist.all_gather(parts, src)
            held.extend([*parts, src])
            return torch.cat(parts, dim=1)

        whole = tuple(one(s) for s in state) if isinstance(state, tuple) else one(state)
        self._hold(*held)
        return whole

    def mean(self, value: float) -> float:
        """The mean of `value` over the ranks: the loss of the whole batch."""
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        self._hold(t)
        return t.item() / self.world

    def from_lead(self, value: float) -> float:
        """Rank 0's `value`, on every rank."""
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.broadcast(t, 0)
        self._hold(t)
        return t.item()

    def agree(self, stop: bool, now: float) -> tuple[bool, float]:
        """Whether any rank was asked to stop, and the latest clock of all ranks (so that every rank sees the same
        time: their learning rates and time limits must not differ)."""
        if self.world == 1:
            return stop, now
        t = torch.tensor([float(stop), now], dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        self._hold(t)
        return t[0].item() > 0, t[1].item()

