import pytest

from charlab.errors import CharlabError
from charlab.presets import for_scale, get_preset


def test_for_scale_picks_a_chapters_sizes_and_rejects_unknown_scales():
    sizes = {"smoke": 1, "cpu": 2, "blog": 3}
    assert [for_scale(sizes, s) for s in ("smoke", "cpu", "gpu", "blog")] == [1, 2, 3, 3]
    with pytest.raises(CharlabError, match="did you mean 'cpu'"):
        for_scale(sizes, "cpus")
    with pytest.raises(CharlabError, match="no sizes for scale 'blog'"):
        for_scale({"smoke": 1, "cpu": 2}, "gpu")


def test_the_transformer_presets_are_transformers_at_every_scale():
    from charlab.model import CharTransformer
    from charlab.train import build_model

    for scale in ("smoke", "cpu", "long", "blog"):
        config = get_preset(f"transformer-{scale}")
        assert config.cell == "transformer" and config.hidden_size % (2 * config.heads) == 0
        assert isinstance(build_model(config, 65), CharTransformer)
    assert get_preset("transformer-cpu").window == 64  # nanoGPT's CPU block size
