import pytest

from charlab.errors import CharlabError
from charlab.presets import for_scale


def test_for_scale_picks_a_chapters_sizes_and_rejects_unknown_scales():
    sizes = {"smoke": 1, "cpu": 2, "blog": 3}
    assert [for_scale(sizes, s) for s in ("smoke", "cpu", "gpu", "blog")] == [1, 2, 3, 3]
    with pytest.raises(CharlabError, match="did you mean 'cpu'"):
        for_scale(sizes, "cpus")
    with pytest.raises(CharlabError, match="no sizes for scale 'blog'"):
        for_scale({"smoke": 1, "cpu": 2}, "gpu")
