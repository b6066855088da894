"""charlab: character-level language models that reproduce Karpathy's 2015 RNN post."""

__version__ = "0.1.0"
