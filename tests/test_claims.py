from charlab.claims import NOT_REACHED, Gate, Judgement, Verdict, judge


def test_a_verdict_is_a_tuple_and_becomes_a_judgement_at_any_scale():
    v = Verdict("holds", "12%", "12% of URLs are new")
    assert v.gate is None and tuple(v) == ("holds", "12%", "12% of URLs are new", None)
    verdict, value, measured, gate = v  # unpacks as chapter 9's verdicts do
    assert (verdict, value, measured, gate) == ("holds", "12%", "12% of URLs are new", None)
    j = v.judgement("long")
    assert j == Judgement("long", "holds", "12% of URLs are new", "12%") == judge("long", "holds",
                                                                                    "12% of URLs are new", "12%")
    failed = Verdict("contradicted", "0%", "no URL", Gate("writes a URL", 0.0, 0.5))
    assert failed.verdict == "contradicted"  # as the chapter computed it
    assert failed.judgement("cpu").verdict == NOT_REACHED and failed.judgement("cpu").gate is failed.gate
    passed = Verdict("contradicted", "0%", "no URL", Gate("writes a URL", 0.6, 0.5))
    assert passed.judgement("cpu").verdict == "contradicted"
