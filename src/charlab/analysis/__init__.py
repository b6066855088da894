"""Measurements of generated samples, so chapters can test the post's claims with numbers.

One module per job (the list with the rest of the package: CONTRIBUTING.md). Everything is pure Python/numpy
(plus the parsers of the formats judged), never torch and never a chapter module, and fast enough to run on
every sample of a chapter. The names below are the most used; import the others from their modules.
"""

from charlab.analysis.cycles import Cycle, find_cycle
from charlab.analysis.evolution import MEASURES, evolution_measures
from charlab.analysis.names import (
    NameAlphabet,
    is_novel,
    name_alphabet,
    name_set,
    novelty_rate,
    split_names,
    well_formed,
    well_formed_rate,
)
from charlab.analysis.ngram import NGramModel
from charlab.analysis.plays import (
    LengthComparison,
    compare_lengths,
    line_lengths,
    real_speaker_share,
    speaker_names,
)
from charlab.analysis.textstats import (
    char_entropy_bits,
    distinct_ngram_ratio,
    ngrams,
    unknown_word_share,
    word_set,
    words,
)

__all__ = [
    "MEASURES",
    "Cycle",
    "LengthComparison",
    "NGramModel",
    "NameAlphabet",
    "char_entropy_bits",
    "compare_lengths",
    "distinct_ngram_ratio",
    "evolution_measures",
    "find_cycle",
    "is_novel",
    "line_lengths",
    "name_alphabet",
    "name_set",
    "ngrams",
    "novelty_rate",
    "real_speaker_share",
    "speaker_names",
    "split_names",
    "unknown_word_share",
    "well_formed",
    "well_formed_rate",
    "word_set",
    "words",
]
