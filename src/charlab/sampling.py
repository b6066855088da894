"""Generating text from a trained model: temperature, top-k, priming, many sequences at once, beam search.

Temperature divides the logits before the softmax: below 1 the distribution sharpens (more conservative text),
above 1 it flattens (more diverse text, more mistakes); 0 means always take the most likely character.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence

import torch

from .errors import CharlabError
from .model import CharRNN, State, inference
from .text import Vocab

MIN_TEMPERATURE = 1e-3  # below this sampling is argmax in all but name, and logits / T overflow float32 near 1e-38
MAX_TEMPERATURE = 100.0  # above this every character is about equally likely: uniform noise whatever the model
MAX_CHARACTERS = 50_000_000  # num x length held in memory at once by `sample` (`generate` streams)


def check_options(temperature: float, top_k: int | None, length: int, num: int, held: bool = True) -> None:
    """Refuse impossible options; `held`: the whole output is kept in memory (else it streams, see `generate`)."""
    if not math.isfinite(temperature):
        raise CharlabError(f"temperature must be a finite number, got {temperature}")
    if temperature < 0:
        raise CharlabError(f"temperature must be >= 0 (0 means argmax), got {temperature}")
    if 0 < temperature < MIN_TEMPERATURE:
        raise CharlabError(f"temperature {temperature:g} is too close to 0 to compute; use 0, which means argmax, "
                           f"or at least {MIN_TEMPERATURE:g}")
    if temperature > MAX_TEMPERATURE:
        raise CharlabError(f"temperature {temperature:g} is above {MAX_TEMPERATURE:g}: the model's preferences vanish "
                           "and every character becomes about equally likely (uniform noise); use at most "
                           f"{MAX_TEMPERATURE:g} (the post samples at 0.5 to 1)")
    if top_k is not None and top_k < 1:
        raise CharlabError(f"top_k must be a positive integer, got {top_k}")
    if length < 0 or num < 1:
        raise CharlabError(f"length must be >= 0 and num >= 1 (got {length}, {num})")
    if held and length * num > MAX_CHARACTERS:
        raise CharlabError(f"{num:,} samples of {length:,} characters is more than {MAX_CHARACTERS:,} characters at "
                           "once; ask for fewer or shorter samples")


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run PyTorch on one CPU thread inside the block, then restore the previous setting.

    Sampling feeds one character at a time to a few sequences: each step is a tiny matrix product, too small to
    split across threads, and on a busy machine the threads of a parallel step wait for each other (on the
    project's shared 2-core machine a sampling step took 40x longer with 2 threads than with 1)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def start_ids(vocab: Vocab, prime: str) -> list[int]:
    """Ids that warm up the state. Without a prime we start from a newline (or the first character) as a
    neutral 'start of text', and it is not part of the output. A byte-level model reads the prime's UTF-8 bytes."""
    if prime:
        if vocab.byte_level:  # one character per byte; surrogateescape: the raw bytes of a non-UTF-8 argument
            try:
                prime = prime.encode("utf-8", "surrogateescape").decode("latin-1")
            except UnicodeEncodeError as e:
                raise CharlabError(f"the prime has a character that is not text ({prime[e.start]!r})") from None
        return vocab.encode(prime).tolist()  # raises, listing unknown characters
    return [vocab.chars.index("\n") if "\n" in vocab.chars else 0]


WARM_UP_CHUNK = 1024  # prime characters per forward call: memory does not grow with the prime


@torch.no_grad()
def warm_up(model: CharRNN, ids: list[int], batch: int, device: torch.device) -> tuple[torch.Tensor, State]:
    """Run the prime through the model once, a chunk at a time, and copy the result to `batch` rows; returns the
    logits after its last character and the state."""
    state = None
    for i in range(0, len(ids), WARM_UP_CHUNK):
        logits, state = model(torch.tensor(ids[i : i + WARM_UP_CHUNK], device=device)[None], state)
    parts = [s.expand(-1, batch, -1).contiguous() for s in (state if isinstance(state, tuple) else (state,))]
    state = tuple(parts) if isinstance(state, tuple) else parts[0]
    return logits[:, -1].expand(batch, -1).contiguous(), state


def pick_next(
    logits: torch.Tensor, temperature: float, top_k: int | None, generator: torch.Generator | None
) -> torch.Tensor:
    """Choose one id per row of logits (B, V)."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits.float() / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)  # softmax subtracts the max internally: no overflow at low T
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def generate(
    model: CharRNN,
    vocab: Vocab,
    length: int,
    temperature: float = 1.0,
    prime: str = "",
    num: int = 1,
    top_k: int | None = None,
    seed: int | None = None,
    burn_in: int = 0,
    chunk: int = 1024,
) -> Iterator[list[str]]:
    """Generate as `sample` does, yielding the next piece (up to `chunk` characters) of each of the `num` samples
    as it is made: memory stays bounded and a caller can print, or stop, at any point. The pieces are in the
    model's alphabet: for a byte-level model, `vocab.render` the joined text (a piece may end mid-character)."""
    check_options(temperature, top_k, length + burn_in, num, held=False)
    if burn_in < 0:
        raise CharlabError(f"burn_in must be >= 0, got {burn_in}")
    if seed is not None and not 0 <= seed <= 2**63 - 1:
        raise CharlabError(f"seed must be at least 0 and at most 2^63 - 1, got {seed}")
    device = model.head.weight.device
    generator = torch.Generator(device=device)
    generator.manual_seed(seed if seed is not None else torch.seed() % 2**63)
    with inference(model), one_thread():
        logits, state = warm_up(model, start_ids(vocab, prime), num, device)
        for t in range(-burn_in, length):
            if t >= 0 and t % chunk == 0:
                out = torch.empty(num, min(chunk, length - t), dtype=torch.long, device=device)
            ids = pick_next(logits, temperature, top_k, generator)
            if t >= 0:
                out[:, t % chunk] = ids
                if t % chunk == out.shape[1] - 1:
                    yield [vocab.decode(row) for row in out.cpu().tolist()]
            logits, state = model.step(ids, state)


def sample(
    model: CharRNN,
    vocab: Vocab,
    length: int,
    temperature: float = 1.0,
    prime: str = "",
    num: int = 1,
    top_k: int | None = None,
    seed: int | None = None,
    burn_in: int = 0,
) -> list[str]:
    """`num` independent continuations of `prime`, each `length` new characters (the prime is not repeated).

    `burn_in` characters are generated first and dropped: the sample then starts mid-stream, the way a window
    cut at a random place of real text does (brackets and tags may be open where it starts), so the two can be
    measured alike. Without it a sample starts from the neutral state after the prime."""
    check_options(temperature, top_k, length, num)
    pieces = list(generate(model, vocab, length, temperature, prime, num, top_k, seed, burn_in))
    return [vocab.render("".join(p[i] for p in pieces)) for i in range(num)]


def sample_across(model: CharRNN, vocab: Vocab, length: int, temperatures: Sequence[float], num: int = 1,
                  prime: str = "", seed: int = 0) -> dict[float, list[str]]:
    """`num` samples of `length` characters at each temperature (> 0), all generated as one batch.

    Common random numbers: at every step, sample j of every temperature reads the same uniform number u_j and
    takes the character where the cumulative distribution first exceeds it (inverse-CDF sampling). So the
    samples at T=0.5 and T=1.5 differ only because of the temperature, not because of luck; and one batch of
    len(temperatures) x num sequences costs about as much as one sequence, character by character."""
    temps = [float(t) for t in temperatures]
    if not temps or min(temps) <= 0:
        raise CharlabError(f"temperatures must be positive (T=0 is argmax), got {temps}")
    if length < 1 or num < 1:
        raise CharlabError(f"length and num must be positive (got {length}, {num})")
    device = model.head.weight.device
    rows = len(temps) * num  # row i: temperature i // num, sample i % num
    scale = torch.tensor([t for t in temps for _ in range(num)], device=device).unsqueeze(1)
    which = torch.arange(rows, device=device) % num
    generator = torch.Generator(device=device).manual_seed(seed)
    start = start_ids(vocab, prime)  # as charlab.sampling.sample starts
    out = torch.empty(rows, length, dtype=torch.long, device=device)
    last = len(vocab) - 1
    with inference(model), one_thread():
        logits, state = warm_up(model, start, rows, device)
        for i in range(length):
            cdf = torch.softmax(logits.float() / scale, dim=-1).cumsum(dim=-1)
            u = torch.rand(num, device=device, generator=generator)[which].unsqueeze(1)
            ids = torch.searchsorted(cdf, u).squeeze(1).clamp_(max=last)  # clamp: the cdf may end at 0.9999999
            out[:, i] = ids
            logits, state = model.step(ids, state)
    texts = [vocab.render(vocab.decode(row)) for row in out.cpu().tolist()]
    return {t: texts[k * num : (k + 1) * num] for k, t in enumerate(temps)}


def beam_search(model: CharRNN, vocab: Vocab, length: int, beam_width: int = 5, prime: str = "") -> str:
    """The most likely continuation found by keeping the `beam_width` best partial sequences by total log-prob.

    Users asked for it after seeing repetitive low-temperature samples; the chapter shows it is as repetitive as
    argmax, because the most likely text is a loop."""
    if beam_width < 1:
        raise CharlabError(f"beam_width must be >= 1, got {beam_width}")
    device = model.head.weight.device
    with inference(model), one_thread():
        logits, state = warm_up(model, start_ids(vocab, prime), 1, device)
        scores = torch.zeros(1, device=device)
        seqs = torch.empty(1, 0, dtype=torch.long, device=device)
        V = logits.shape[-1]
        for _ in range(length):
            total = (scores[:, None] + torch.log_softmax(logits.float(), dim=-1)).view(-1)
            scores, flat = torch.topk(total, min(beam_width, total.numel()))
            parent, ids = flat // V, flat % V
            seqs = torch.cat([seqs[parent], ids[:, None]], dim=1)
            state = tuple(s[:, parent] for s in state) if isinstance(state, tuple) else state[:, parent]
            logits, state = model.step(ids, state)
    return vocab.render(vocab.decode(seqs[0].tolist()))
