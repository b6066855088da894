import pytest

from charlab.chapters.ch01_rnns_from_scratch import dhnext_verdict, hello_update_verdict, sizes
from charlab.errors import CharlabError


def test_hello_update_verdict_rule():
    assert hello_update_verdict(200, 600, 50)[0] == "holds"
    verdict, value, measured = hello_update_verdict(180, 450, 50)
    assert verdict == "holds partly" and value == "90% of correct scores up, 75% of others down"
    assert "180 of 200" in measured and "450 of 600" in measured
    assert hello_update_verdict(80, 600, 50)[0] == "contradicted"


def test_dhnext_sentence_names_the_winner():
    assert dhnext_verdict(2.0, 2.1, 30_000).startswith("After 30,000 iterations the correct gradient is ahead")
    assert "still ahead" in dhnext_verdict(2.1, 2.0, 30_000)
    assert "level" in dhnext_verdict(2.0, 2.001, 30_000)


def test_sizes_per_scale():
    assert sizes("cpu")["iters"] == 30_000 and sizes("gpu") == sizes("blog")
    with pytest.raises(CharlabError):
        sizes("tiny")


def test_sequence_type_names_each_panel_of_the_posts_figure():
    from charlab.chapters.ch01_rnns_from_scratch import SEQUENCE_TYPES, IOPattern, sequence_type

    assert list(SEQUENCE_TYPES) == ["one to one", "one to many", "many to one", "many to many",
                                    "synced many to many"]
    for name, pattern in SEQUENCE_TYPES.items():
        assert sequence_type(pattern) == name
    # a prime of three characters, then writing: read a sequence, then write one
    assert sequence_type(IOPattern.of(6, [0, 1, 2], [2, 3, 4, 5])) == "many to many"


def test_min_char_rnn_trains_synced_many_to_many_and_samples_one_to_many():
    from charlab.chapters.ch01_rnns_from_scratch import (
        past_effect,
        sampling_pattern,
        sequence_type,
        sequence_type_answer,
        training_pattern,
    )
    from charlab.scratch import hello

    model = hello.make_model(seed=0)
    inputs, _ = hello.io(model)  # "hell"
    train = training_pattern(model.params, inputs)
    assert (train.steps, sorted(train.inputs), sorted(train.outputs)) == (4, [0, 1, 2, 3], [0, 1, 2, 3])
    sampled = sampling_pattern(model.params, inputs[0], 10)
    assert (sampled.steps, sorted(sampled.inputs), len(sampled.outputs)) == (10, [0], 10)
    assert sequence_type(train) == "synced many to many" and sequence_type(sampled) == "one to many"
    effect = past_effect(model.params, inputs)
    assert effect > 1e-3  # the last output depends on the first character
    no_memory = {**model.params, "Whh": model.params["Whh"] * 0}  # no recurrence: one character at a time
    assert past_effect(no_memory, inputs) == 0.0
    verdict, value, measured = sequence_type_answer(train, sampled, effect)
    assert verdict == "contradicted" and value == "training: synced many to many; sampling: one to many"
    assert "reads 4 characters and makes 4 predictions" in measured and "type 5" in measured
    assert "type 2" in measured and "every character before it" in measured
    one = training_pattern(no_memory, inputs[:1])
    assert sequence_type_answer(one, one, 0.0)[0] == "holds"  # a one-step model with no memory is one to one


def test_plot_sequence_types_frames_the_highlighted_panels():
    import matplotlib

    matplotlib.use("Agg")
    from charlab.chapters.ch01_rnns_from_scratch import plot_sequence_types

    fig = plot_sequence_types({"one to many": "sampling", "synced many to many": "training"})
    assert [ax.get_title() for ax in fig.axes] == ["(1) one to one", "(2) one to many", "(3) many to one",
                                                   "(4) many to many", "(5) synced many to many"]
    framed = [all(s.get_visible() for s in ax.spines.values()) for ax in fig.axes]
    assert framed == [False, True, False, False, True]
    assert [t.get_text() for t in fig.axes[1].texts] == ["sampling"]
    with pytest.raises(CharlabError, match="no such sequence type"):
        plot_sequence_types({"two to two": "x"})
