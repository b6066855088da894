"""`python -m charlab.blog` at smoke scale on the CPU: the concurrent runner, the results layout, the budget, the size
limit of committed checkpoints, packing results into parts and back, and one-line mistakes. Texts are made here."""

import hashlib
import io
import json
import math
import random
import re
import tarfile

import pytest
import torch
from safetensors import safe_open

from charlab import blog
from charlab.chapters.ch04_names import prepare_names
from charlab.checkpoint import load_checkpoint
from charlab.errors import CharlabError
from charlab.presets import preset_for
from charlab.train import train

LAYOUT = {"metrics.jsonl", "config.json", "samples.json", "stamp.json", "model.safetensors"}


def names_lines(n=400, seed=1):
    rng = random.Random(seed)
    return "".join("".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 8))).capitalize() + "\n"
                   for _ in range(n))


@pytest.fixture
def data_dir(tmp_path, synthetic_text):
    for name in ("pg", "warpeace"):
        (tmp_path / "data" / name).mkdir(parents=True)
        (tmp_path / "data" / name / "input.txt").write_text(synthetic_text, encoding="utf-8")
    (tmp_path / "data" / "names").mkdir()
    (tmp_path / "data" / "names" / "input.txt").write_text(names_lines(), encoding="utf-8")
    return tmp_path / "data"


def one_line_error(capsys, argv, pattern):
    assert blog.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("charlab: error: ") and pattern in err[0], err


def test_run_trains_two_experiments_concurrently_into_the_results_layout(tmp_path, data_dir):
    archive = blog.pack_data(tmp_path / "blog-data.tar.xz", ["pg", "warpeace"], data_dir)  # as on the device
    results = tmp_path / "results"
    codes = blog.run(["pg", "warpeace"], "smoke", budget_s=120, results=results, runs=tmp_path / "runs",
                     data_dir=archive, device="cpu", threads=1)
    assert codes == {"pg": 0, "warpeace": 0}
    for exp in ("pg", "warpeace"):
        folder = results / "smoke" / exp  # results/<scale>/<experiment>/
        assert {p.name for p in folder.iterdir()} == LAYOUT
        stamp = json.loads((folder / "stamp.json").read_text())
        assert stamp["scale"] == "smoke" and stamp["device"].startswith("CPU") and stamp["torch"] == torch.__version__
        assert stamp["iterations"] == 40 and stamp["stopped_by"] == "max_iters" and stamp["concurrent"] == ["pg",
                                                                                                       "warpeace"]
        assert stamp["dataset_sha256"] == json.loads((folder / "config.json").read_text())["data_sha256"]
        assert stamp["model"]["file"] == "model.safetensors" and stamp["model"]["dtype"] == "bfloat16"
        assert stamp["git_commit"] and stamp["date_utc"] and stamp["wall_s"] > 0
        assert stamp["precision"] in ("fp32", "bf16") and stamp["run"].startswith(f"{exp}-smoke-")
        assert stamp["run_key"]["train_config"]["max_iters"] == 40 and stamp["run_key"]["code_sha256"]
        metrics = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        assert [m["iter"] for m in metrics] == [0, 20, 40] and stamp["best_val_loss"] == min(m["val_loss"]
                                                                                            for m in metrics)
        samples = json.loads((folder / "samples.json").read_text())
        assert [s["temperature"] for s in samples["samples"]] == [0.5, 0.5, 1.0, 1.0]
        assert all(len(s["text"]) == blog.SAMPLE_LEN["smoke"] for s in samples["samples"])
        assert "done, 40 iterations" in (results / "smoke" / "logs" / f"{exp}.log").read_text()
    evolution = json.loads((results / "smoke" / "warpeace" / "samples.json").read_text())["evolution"]
    assert [s["iter"] for s in evolution["samples"]] == [1, *range(2, 41, 2)]  # every 100 of 2,000, scaled
    assert len(evolution["loss_per_iter"]) == 40
    assert "evolution" not in json.loads((results / "smoke" / "pg" / "samples.json").read_text())
    assert not list(results.glob("*/.*"))  # no staging folder left behind


def test_a_run_stops_cleanly_at_its_own_time_limit(tmp_path, data_dir):
    final = blog.run_one("pg", "smoke", data_dir / "pg" / "input.txt", tmp_path / "results", tmp_path / "runs",
                         device="cpu", max_time_s=1.5, overrides={"max_iters": 3000, "eval_interval": 10**6})
    stamp = json.loads((final / "stamp.json").read_text())  # 3,000 iterations: far more than 1.5 s
    assert stamp["stopped_by"] == "max_time_s" and 0 < stamp["iterations"] < 3000
    assert stamp["git_commit"] == blog.git_info()["git_commit"]  # `one` alone names the commit too
    assert stamp["train_s"] >= 1.5 and stamp["max_time_s"] == 1.5  # no upper bound: a busy machine may be slow
    assert {p.name for p in final.iterdir()} == LAYOUT
    assert json.loads((final / "metrics.jsonl").read_text().splitlines()[-1])["iter"] == stamp["iterations"]


def test_names_are_shuffled_and_split_as_in_chapter_4(tmp_path, data_dir):
    source = data_dir / "names" / "input.txt"
    final = blog.run_one("names", "smoke", source, tmp_path / "results", tmp_path / "runs", device="cpu",
                         overrides={"max_iters": 2, "eval_interval": 2})
    split = prepare_names(source, seed=0, val_frac=0.1, out_dir=tmp_path / "ch04")
    config = json.loads((final / "config.json").read_text())
    assert config["data_sha256"] == hashlib.sha256(split.text.encode()).hexdigest()
    assert config["train_config"]["val_frac"] == split.val_frac and config["run"].startswith("names-smoke-")


def test_a_checkpoint_over_the_size_limit_is_not_stored(tmp_path, text_file):
    run_dir = tmp_path / "run"
    train(text_file, preset_for("pg", "smoke").with_overrides(max_iters=4, eval_interval=2, device="cpu"), run_dir,
          progress=False)
    small = blog.store_model(run_dir, tmp_path / "model.safetensors", limit=blog.MODEL_LIMIT)
    size = (tmp_path / "model.safetensors").stat().st_size
    assert small["file"] == "model.safetensors" and small["bytes"] == size <= blog.MODEL_LIMIT
    with safe_open(str(tmp_path / "model.safetensors"), framework="pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.bfloat16}  # weights only, all bf16
        assert not [k for k in f.keys() if not k.startswith("model.")]
    full, half = load_checkpoint(run_dir), load_checkpoint(tmp_path / "model.safetensors")
    ids = torch.randint(len(full.vocab), (2, 16))
    full.model.eval(), half.model.eval()
    assert half.vocab == full.vocab and torch.allclose(half.model(ids)[0], full.model(ids)[0], atol=0.05)

    too_big = blog.store_model(run_dir, tmp_path / "big" / "model.safetensors", limit=size - 1)
    assert too_big["file"] is None and too_big["bytes"] == size and "over the" in too_big["note"]
    assert not list((tmp_path / "big").iterdir())  # nothing written, not even the staging file


def test_pack_results_cuts_parts_within_the_limit_and_unpack_restores_them(tmp_path):
    results = tmp_path / "results"
    files = {"pg/model.safetensors": random.Random(0).randbytes(40_000), "pg/stamp.json": b'{"a": 1}',
             "batch_timing.json": b"{}", "logs/pg.log": b"iter 1\n"}
    for name, data in files.items():
        (results / name).parent.mkdir(parents=True, exist_ok=True)
        (results / name).write_bytes(data)
    (results / ".linux.partial").mkdir()
    (results / ".linux.partial" / "stamp.json").write_text("{}")  # a staging folder: never packed
    parts = blog.pack_results(tmp_path / "out", results, part_bytes=16 * 1024, max_parts=8)
    assert len(parts) == 3 and all(p.stat().st_size <= 16 * 1024 for p in parts)
    assert [p.name for p in parts] == [f"results.tar.gz.part{i}of3" for i in (1, 2, 3)]

    back = tmp_path / "back"
    blog.unpack_results(tmp_path / "out", back)
    assert {p.relative_to(back).as_posix(): p.read_bytes() for p in back.rglob("*") if p.is_file()} == files
    with pytest.raises(CharlabError, match="already holds"):
        blog.unpack_results(tmp_path / "out", back)
    blog.unpack_results(tmp_path / "out", back, force=True)

    with pytest.raises(CharlabError, match="more than 2"):
        blog.pack_results(tmp_path / "out2", results, part_bytes=16 * 1024, max_parts=2)
    parts[1].unlink()
    with pytest.raises(CharlabError, match="part.s. 2 of 3 are missing"):
        blog.unpack_results(tmp_path / "out", tmp_path / "again")


def test_pack_data_round_trip_checks_every_text(tmp_path, data_dir, monkeypatch):
    archive = blog.pack_data(tmp_path / "d.tar.xz", ["names", "pg"], data_dir)
    dest, manifest = blog.unpack_data(archive, tmp_path / "unpacked")
    assert sorted(manifest["files"]) == ["names/input.txt", "pg/input.txt"]
    for name in manifest["files"]:
        assert (dest / name).read_bytes() == (data_dir / name).read_bytes()
    with pytest.raises(CharlabError, match="over the"):
        blog.pack_data(tmp_path / "e.tar.xz", ["pg"], data_dir, limit=100)
    assert manifest["git_commit"] == blog.git_info()["git_commit"] is not None
    monkeypatch.setattr(blog, "SRC", tmp_path)  # a copied tree without git, as on the GPU machine
    assert blog.git_info()["git_commit"] is None and blog.git_info(manifest)["git_commit"] == manifest["git_commit"]


PG_SHA = hashlib.sha256(b"text\n").hexdigest()
BAD_MANIFESTS = {  # MANIFEST.json (bytes, or None for a directory of that name) -> what the one line says
    "a directory": (None, "MANIFEST.json is not a file in the archive"),
    "a list": (b"[]", "MANIFEST.json holds a JSON array, not an object"),
    "files a list": (b'{"files": ["pg/input.txt"]}', 'MANIFEST.json\'s "files" is a JSON array, not an object'),
    "an entry a string": (b'{"files": {"pg/input.txt": "%s"}}' % PG_SHA.encode(),
                          "entry for pg/input.txt is a JSON string, not an object"),
    "no files": (b'{"format": "charlab-blog-data-1"}', 'MANIFEST.json has no "files" object'),
    "no texts": (b'{"files": {}}', "MANIFEST.json names no texts"),
    "no sha256": (b'{"files": {"pg/input.txt": {"bytes": 5}}}', "entry for pg/input.txt has no sha256"),
    "not JSON": (b"{files", "MANIFEST.json is not valid JSON"),
    "not UTF-8": (b"\xff\xfe{}", "MANIFEST.json is not valid JSON"),
    "a text missing": (b'{"files": {"names/input.txt": {"sha256": "%s"}}}' % PG_SHA.encode(),
                       "no names/input.txt in the archive"),
}


def bad_archive(path, manifest):
    with tarfile.open(path, "w:xz") as tar:
        info = tarfile.TarInfo("MANIFEST.json")
        if manifest is None:
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        else:
            info.size = len(manifest)
            tar.addfile(info, io.BytesIO(manifest))
        info = tarfile.TarInfo("pg/input.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"text\n"))
    return path


@pytest.mark.parametrize("case", BAD_MANIFESTS)
def test_a_malformed_manifest_is_one_line(case, tmp_path, capsys):
    manifest, message = BAD_MANIFESTS[case]
    archive = bad_archive(tmp_path / "blog-data.tar.xz", manifest)
    with pytest.raises(CharlabError, match=f"^{re.escape(str(archive))}: ") as err:
        blog.unpack_data(archive, tmp_path / "unpacked")
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "unpacked").exists()  # nothing extracted from an archive that cannot be trusted
    results = tmp_path / "results"
    one_line_error(capsys, ["run", "--experiments", "pg", "--scale", "smoke", "--results", str(results),
                            "--runs", str(tmp_path / "runs"), "--data-dir", str(archive)], message)
    assert not results.exists()


def test_time_batch_writes_timings_beside_the_references(tmp_path):
    report = blog.time_batch(tmp_path, device="cpu", iters=1, warmup=0, vocab_size=20,
                             settings={"post": (4, 8), "torch-rnn": (2, 4)}, hidden_size=16)
    saved = json.loads((tmp_path / "batch_timing.json").read_text())
    assert saved["timings"] == report["timings"]
    assert [(t["setting"], t["dtype"]) for t in saved["timings"]] == [
        ("post", "float32"), ("post", "bfloat16"), ("torch-rnn", "float32"), ("torch-rnn", "bfloat16")]
    assert all(t["seconds"] > 0 and math.isfinite(t["seconds"]) for t in saved["timings"])
    assert {r["seconds"] for r in saved["references"]} == {0.46, 0.078, 0.005}
    assert saved["device"].startswith("CPU") and saved["meets_target"] is None  # a CPU cannot meet a GPU target


def test_mistakes_are_one_line(capsys, tmp_path, data_dir):
    base = ["--scale", "smoke", "--results", str(tmp_path / "results"), "--data-dir", str(data_dir)]
    one_line_error(capsys, ["run", "--experiments", "pgg", *base], "unknown experiment 'pgg' (did you mean 'pg'?)")
    one_line_error(capsys, ["run", "--experiments", "latex", *base], "dataset 'latex' is not fetched yet")
    one_line_error(capsys, ["run", "--budget-s", "5", *base],
                   "too small: 10 s of it go to start-up and results, so give at least 12 s")
    one_line_error(capsys, ["run", "--set", "max_iterz=3", *base], "unknown training option 'max_iterz'")
    (tmp_path / "results" / "smoke" / "pg").mkdir(parents=True)
    one_line_error(capsys, ["run", "--experiments", "pg", *base], "already holds results of pg; pass --force")
    one_line_error(capsys, ["one", "pg", "--data", str(data_dir / "pg" / "input.txt"), *base[:4]], "--force")
    one_line_error(capsys, ["unpack-results", str(tmp_path)], "no results.tar.gz.part*of* files")
    one_line_error(capsys, ["one", "pg", "--data", str(tmp_path / "missing.txt"), "--scale", "smoke", "--results",
                            str(tmp_path / "r2")], "missing.txt: No such file or directory")


def test_a_chapter_reads_a_committed_result_back(tmp_path, data_dir, monkeypatch):
    from charlab.experiments import chars_seen, committed_run

    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "data"))  # results/ is beside data/'s parent's runs/
    assert committed_run("pg", "smoke") is None  # nothing committed yet: chapters show only their own run
    blog.run_one("pg", "smoke", data_dir / "pg" / "input.txt", tmp_path / "results", tmp_path / "runs",
                 device="cpu", overrides={"max_iters": 4, "eval_interval": 2})
    r = committed_run("pg", "smoke")
    assert r is not None and r.scale == "smoke" and r.config.max_iters == 4
    assert r.best_val_loss == pytest.approx(min(m["val_loss"] for m in r.metrics))
    assert r.chars_seen == chars_seen(r.config, r.stamp["model"]["iter"]) == r.stamp["model"]["iter"] * \
        r.config.batch_size * r.config.seq_len
    assert {s["temperature"] for s in r.samples} == {0.5, 1.0} and "results/smoke/pg/" in r.summary()
    ckpt = r.load()
    assert ckpt.model.num_parameters() == r.stamp["parameters"]
