"""The tools in tools/: results tables, generator interpolation, photo grids, extra photos."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _tool(name="results_table"):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REPORT = {
    "protocol": "seed",
    "data": "photos",
    "image_size": 256,
    "n_images": 3,
    "results": [
        {"model": "gray", "metrics": {"mse": {"mean": 0.0034, "std": 0.002}}},
        {
            "model": "runs/x",
            "metrics": {
                "mse": {"mean": 0.00301234, "std": 0.001},
                "psnr": {"mean": 50.123, "std": 1.0},
            },
        },
    ],
}


def test_rows_follow_the_report_and_missing_metrics_are_not_numbers():
    text = _tool().markdown_table(REPORT, names={"runs/x": "x"}, mse_digits=5)
    lines = text.splitlines()
    assert lines[0] == "| model | mse | psnr | fid |"
    assert lines[2] == "| gray | 0.00340 +- 0.00200 | n/a | n/a |"
    assert lines[3] == "| x | 0.00301 +- 0.00100 | 50.12 +- 1.00 | n/a |"
    assert "3 images of `photos` at 256 px, protocol `seed`" in text


def test_reports_of_the_same_images_merge_into_one_table():
    tool = _tool()
    other = {**REPORT, "results": [REPORT["results"][0], {"model": "runs/y", "metrics": {}}]}
    elsewhere = {**REPORT, "data": "other photos"}
    merged = tool.merge_reports([REPORT, other, elsewhere])
    assert [r["model"] for r in merged[0]["results"]] == ["gray", "runs/x", "runs/y"]
    assert merged[1]["data"] == "other photos"


def test_interpolation_blends_every_weight_and_keeps_the_ends():
    from kcolor.models import UNetColorizer

    interpolate = _tool("interpolate_generators").interpolate
    a, b = UNetColorizer(filters=(4, 8, 16)), UNetColorizer(filters=(4, 8, 16))
    a.build((None, 32, 32, 1))
    b.build((None, 32, 32, 1))
    b.set_weights([w + 1.0 for w in a.get_weights()])
    for alpha in (0.0, 0.3, 1.0):
        blend = interpolate(a, b, alpha)
        for wa, wblend in zip(a.get_weights(), blend.get_weights(), strict=True):
            np.testing.assert_allclose(wblend, wa + alpha, atol=1e-6)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(interpolate(a, b, 0.0)(x), a(x), atol=1e-6)


def test_interpolation_refuses_other_architectures_and_alphas():
    from kcolor.models import UNetColorizer

    interpolate = _tool("interpolate_generators").interpolate
    a, b = UNetColorizer(filters=(4, 8, 16)), UNetColorizer(filters=(4, 8, 32))
    with pytest.raises(ValueError, match="same architecture"):
        interpolate(a, b, 0.5)
    with pytest.raises(ValueError, match="alpha"):
        interpolate(a, a, 1.5)


def test_set_temperature_changes_only_the_decoding():
    from kcolor.models import build_generator
    from kcolor.models.annealed_mean import with_temperature

    generator = build_generator("default", head="classification", filters=(4, 8))
    rng = np.random.default_rng(0)
    logits = generator.get_layer("ab_logits")
    logits.kernel.assign(rng.normal(0, 3.0, logits.kernel.shape))  # distinct, peaked classes
    hotter = with_temperature(generator, 1.0)
    assert hotter.temperature == 1.0 and generator.temperature == 0.38
    for a, b in zip(generator.get_weights(), hotter.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    x = rng.uniform(-1, 1, (1, 16, 16, 1)).astype("float32")
    assert hotter.get_layer("ab_annealed_mean").temperature == 1.0
    assert not np.allclose(hotter(x), generator(x))  # same logits, another decoding
    with pytest.raises(ValueError, match="classification head"):
        with_temperature(build_generator("default", filters=(4, 8)), 1.0)


def test_set_temperature_loads_an_epoch_checkpoint_into_its_template(tmp_path, monkeypatch):
    from kcolor.models import build_generator
    from kcolor.models.predictors import load_keras_model

    tool = _tool("set_temperature")
    template = build_generator("default", head="classification", filters=(4, 8))
    trained = build_generator("default", head="classification", filters=(4, 8))
    trained.set_weights([w + 0.5 for w in template.get_weights()])
    template.save(tmp_path / "start.keras")
    trained.save_weights(tmp_path / "epoch-003.weights.h5")
    out = tmp_path / "epoch3-t0.4.keras"
    argv = ["set_temperature.py", str(tmp_path / "start.keras"), "0.4", str(out)]
    monkeypatch.setattr("sys.argv", [*argv, "--weights", str(tmp_path / "epoch-003.weights.h5")])
    tool.main()
    written = load_keras_model(out)
    assert written.temperature == 0.4
    for a, b in zip(written.get_weights(), trained.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_model_card_says_fine_tuned_when_any_run_of_the_lineage_trained_the_encoder(tmp_path):
    tool = _tool("ship_default")
    chain = [("stage1", None, False), ("stage2", "stage1", True), ("stage3", "stage2", False)]
    for name, init, tuned in chain:
        (tmp_path / name).mkdir()
        lines = [f"train_semantic_encoder: {str(tuned).lower()}"]
        if init:  # the second stage names a .keras file inside its init's folder
            target = tmp_path / init / ("generator.keras" if name == "stage3" else "")
            lines.append(f"init_generator: {target}")
        (tmp_path / name / "config.yaml").write_text("\n".join(lines) + "\n")
    assert tool.encoder_fine_tuned(tmp_path / "stage3")
    assert not tool.encoder_fine_tuned(tmp_path / "stage1")
    assert not tool.encoder_fine_tuned(tmp_path / "elsewhere")  # not a run folder
    config = {"head": "classification", "temperature": 0.4, "semantic": "mobilenet"}
    assert "fine-tuned" in tool._head_text(config, True)
    assert "frozen ImageNet" in tool._head_text(config, False)


def test_model_card_states_what_the_weights_trained_on_beside_what_the_runs_spent():
    tool = _tool("ship_default")
    spent = {"crops": 1000000, "cpu_hours": 16.0, "gpu_minutes": 0.0}
    weights = {"crops": 712000, "cpu_hours": 11.0, "gpu_minutes": 0.0}
    text = tool.budget_text(spent, weights)
    assert "weights were trained on 712,000 crops (11.0 CPU hours" in text
    assert "spent 1,000,000 crops (16.0 CPU hours" in text and "not kept included" in text
    assert "trained on" not in tool.budget_text(spent, None) and tool.budget_text(None, None) == ""


def test_photo_grid_has_a_row_per_photo_and_a_column_per_model(shared_data, small_run):
    tool = _tool("photo_grid")
    grid = tool.build_grid([str(small_run)], ["small"], shared_data, height=24)
    assert grid.shape[0] == 24 + 24 * len(tool.GRID_PHOTOS) and grid.dtype == np.uint8
    assert grid.shape[1] == 3 * 36  # gray | model | truth, cells of 1.5 x the height


def _smooth_photo(rng, height=120, width=160):
    """A random, smooth color photo: its difference hash survives resizing and JPEG."""
    coarse = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC))


def test_extra_photos_keep_only_new_color_photos_and_never_an_evaluation_copy(tmp_path):
    tool = _tool("extra_photos")
    rng = np.random.default_rng(0)
    root, clone = tmp_path / "data", tmp_path / "clone"
    for folder in ("kodak24", "pets"):
        (root / folder).mkdir(parents=True)
    for sub in tool.SOURCES["pets"].paths:
        (clone / sub).mkdir(parents=True)
    train = clone / "dataset" / "training_set"
    evaluation_photo = _smooth_photo(rng)
    Image.fromarray(evaluation_photo).save(root / "kodak24" / "e.png")
    taken = "dataset_training_set_my_cats_taken.jpg"  # the shared name of "my cats/taken.png"
    Image.fromarray(_smooth_photo(rng)).save(root / "pets" / taken)
    (root / "manifest.csv").write_text(f"set,file,gray\nkodak24,e.png,color\npets,{taken},color\n")
    (train / "my cats").mkdir()
    Image.fromarray(_smooth_photo(rng)).save(train / "my cats" / "taken.png")
    Image.fromarray(_smooth_photo(rng)).save(train / "new.jpg")
    (train / "copy.jpg").write_bytes((train / "new.jpg").read_bytes())
    Image.fromarray(_smooth_photo(rng, 480, 640)).save(train / "big.png")
    Image.fromarray(evaluation_photo).resize((80, 60)).save(train / "eval_resized.jpg", quality=70)
    Image.fromarray(_smooth_photo(rng)[..., 0]).convert("RGB").save(train / "gray.jpg")
    (train / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")

    out = tmp_path / "out"
    counts = tool.bring("pets", clone, out, root, progress=False)
    assert counts == {
        "written": 2,  # new.jpg or its byte copy, and big.png
        "byte-identical duplicate": 1,
        "near-duplicate": 1,
        "grayscale": 1,
        "unreadable": 1,
        "already in ../shared/data": 1,
    }
    written = sorted(out.iterdir())
    assert len(written) == 2 and all(p.suffix == ".jpg" for p in written)  # no temporary files
    big = Image.open(out / "dataset_training_set_big.jpg")
    assert big.format == "JPEG" and min(big.size) == tool.MAX_SHORT_SIDE and big.size[0] == 192
    again = tool.bring("pets", clone, out, root, progress=False)
    assert again["kept from an earlier run"] == 2 and "written" not in again


def test_gpu_pack_travels_and_its_train_step_runs_under_jax(shared_data, tmp_path):
    """Issue 17: the GPU command's pack (photos as WebP at the crop's short side, the shipped
    model as init, the prior, the budget) fits the 64 MiB the device tool carries, and the same
    script trains two steps from it under JAX on the CPU, without TensorFlow."""
    import json
    import os
    import subprocess
    import sys

    from kcolor.data.color_counts import compute_color_prior

    tool = _tool("gpu_campaign")
    pack = tmp_path / "pack"
    prior = tmp_path / "prior.npz"
    compute_color_prior(str(shared_data / "set14"), progress=False).save(prior)
    tool.main(
        ["pack", "--data", str(shared_data / "set14"), "--val-data", str(shared_data / "set5")]
        + ["--init", "default", "--color-prior", str(prior), "--out", str(pack)]
    )
    record = json.loads((pack / "pack.json").read_text())
    assert record["photos"] == 12 and record["val_photos"] == 5
    assert record["init_budget"]["crops"] >= 48000  # the shipped model's, from shipped.json
    photo = Image.open(next((pack / "train").iterdir()))
    assert photo.format == "WEBP" and min(photo.size) == 128 and photo.mode == "RGB"
    assert tool.tree_bytes() + tool.folder_bytes(pack) < tool.TRAVEL_LIMIT_BYTES

    out = tmp_path / "out"
    out.mkdir()
    script = (
        "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], "
        "run_name='__main__'); assert 'tensorflow' not in sys.modules"
    )
    args = [sys.executable, "-c", script, str(TOOLS / "gpu_campaign.py"), "train"]
    args += ["--pack", str(pack), "--out", str(out), "--steps", "2", "--epochs", "1"]
    args += ["--batch-size", "2", "--precision", "off"]
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    budget = json.loads((out / "budget.json").read_text())
    shipped = record["init_budget"]["crops"]  # the shipped model's recorded budget
    assert budget["run"]["crops"] == 4 and budget["cumulative"]["crops"] == shipped + 4
    trained_on = json.loads((pack / "budget.json").read_text())["weights"]["crops"]
    assert budget["init_weights"]["crops"] == trained_on < shipped  # the kept epochs only
    assert (out / "generator.keras").stat().st_size > 1_000_000
    assert "backend jax" in done.stdout


def test_campaign_lists_hold_out_both_validation_splits(tmp_path):
    tool = _tool("campaign_lists")
    root = tmp_path / "data"
    rows = ["set,file,width,height,mode,bytes,gray,coco_license_id,flickr_url"]
    for name in (*tool.GENERAL_SETS, *tool.SMALL_SETS):
        (root / name).mkdir(parents=True)
        for i in range(40):
            (root / name / f"{i}.jpg").write_bytes(b"x")
            rows.append(f"{name},{i}.jpg,8,8,RGB,1,{'gray' if i == 0 else 'color'},,")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    extra = tmp_path / "extra" / "pets"
    extra.mkdir(parents=True)
    (extra / "e.jpg").write_bytes(b"x")
    lists = tool.build_lists(root, tmp_path / "extra", tmp_path / "repo", 0.1)
    train, general, pool = (set(lists[k]) for k in ("train", "val-general", "val-pool"))
    assert general and not train & general and not train & pool
    assert {p.parent.name for p in general} <= set(tool.GENERAL_SETS)
    assert len(train | general | pool) == 7 * 39 + 1  # every color photo, grayscale left out
    assert extra.resolve() / "e.jpg" in train


def test_campaign_chains_stages_and_skips_finished_ones(tmp_path):
    from kcolor.training import budget

    tool = _tool("campaign")
    stages = [
        {"name": "s1", "recipe": "configs/campaign/stage1-64.yaml"},
        {"name": "s2", "recipe": "configs/campaign/stage2-128.yaml"},
    ]
    done = tmp_path / "s1"
    done.mkdir()
    (done / "generator.keras").write_bytes(b"x")
    budget.write_budget(done, {"crops": 200000, "epochs": 25}, None)
    plan = tool.stage_commands(stages, tmp_path, tmp_path / "lists", "default", None, ["a=1"])
    (name1, _, first), (name2, run2, second) = plan
    assert first is None  # s1 has all 25 epochs of its recipe
    assert second[second.index("--init-generator") + 1] == str(done)
    assert second[second.index("--run-dir") + 1] == str(run2) and "--resume" in second
    assert second[-2:] == ["--set", "a=1"]
    budget.write_budget(done, {"crops": 8000, "epochs": 1}, None)  # stopped after epoch 1
    first = tool.stage_commands(stages, tmp_path, tmp_path, "default", None, [])[0][2]
    assert first[first.index("--init-generator") + 1] == "default"


def test_campaign_stage_list_names_recipes_that_resolve():
    """The chain tools/campaign.py resumes each session names recipes that exist and parse."""
    from kcolor.training.config import read_yaml, resolve_config

    tool = _tool("campaign")
    stages = read_yaml(tool.STAGES_FILE)["stages"]
    assert len({stage["name"] for stage in stages}) == len(stages)
    for stage in stages:
        config = resolve_config(tool.REPO_ROOT / stage["recipe"], {"data": "photos/"})
        assert config.epochs >= 1 and config.image_size >= 64


def test_vendored_litertjs_files_match_their_checksums():
    tool = _tool("vendor_litertjs")
    assert tool.check() == []
    record = (tool.VENDOR / "VERSION.json").read_text()
    assert tool.VERSION in record and "Apache-2.0" in record
    core = (tool.VENDOR / "core.js").read_text()
    assert tool.LOCAL_IMPORT in core and tool.BARE_IMPORT not in core


def test_vendored_tiff_decoder_matches_its_checksums(monkeypatch):
    monkeypatch.syspath_prepend(str(TOOLS))  # vendor_utif reuses vendor_litertjs's helpers
    tool = _tool("vendor_utif")
    assert tool.check(tool.VENDOR, tool.KEPT) == []
    record = (tool.VENDOR / "VERSION.json").read_text()
    assert all(version in record for version in tool.VERSIONS.values()) and "MIT" in record


def test_make_pool_keeps_the_paths_it_was_given_through_symlinks(tmp_path):
    """Issue 19, item 14: a data root reached through a symlink is written as that path."""
    import subprocess
    import sys

    real = tmp_path / "real"
    (real / "pets").mkdir(parents=True)
    (real / "pets" / "cat.jpg").write_bytes(b"\xff\xd8")
    (real / "manifest.csv").write_text("set,file,gray\npets,cat.jpg,color\n")
    (tmp_path / "linked").symlink_to(real)
    out = tmp_path / "lists" / "pool.txt"
    tool = Path(__file__).resolve().parents[1] / "tools" / "make_pool.py"
    done = subprocess.run(
        [sys.executable, tool, out, "pets", "--data-root", tmp_path / "linked"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines() == ["../linked/pets/cat.jpg"]


def test_decode_probe_keeps_gray_gray_and_pulls_sure_colors_to_their_expected_chroma():
    """tools/decode_probe.py: alpha 0 is the annealed mean; below the gate nothing changes; at
    alpha 1 past the gate the chroma is E[|ab|] along the mean's hue (NumPy reference)."""
    from kcolor.color.ab_bins import annealed_mean

    probe = _tool("decode_probe")
    centers = np.array([[0.3, 0.0], [0.0, 0.3], [-0.3, 0.0], [0.0, 0.0]], np.float32)
    # pixel 0: sure of red-ish bins 0 and 1 (mean chroma ~ 0.2); pixel 1: spread, mean near gray
    logits = np.array([[4.0, 3.0, -4.0, -4.0], [1.0, 0.0, 1.0, 0.5]], np.float32)
    mean = np.asarray(annealed_mean(logits, centers, 1.0))
    same = np.asarray(probe.chroma_gated_mean(0.0, 0.0, 0.0)(logits, centers, 1.0))
    np.testing.assert_allclose(same, mean, atol=1e-6)

    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    expected_chroma = probs @ np.linalg.norm(centers, axis=-1)
    pulled = np.asarray(probe.chroma_gated_mean(1.0, 5.0, 10.0)(logits, centers, 1.0))
    mean_chroma = np.linalg.norm(mean, axis=-1)
    assert mean_chroma[0] * 110 > 10 and mean_chroma[1] * 110 < 5  # one past the gate, one below
    np.testing.assert_allclose(np.linalg.norm(pulled[0]), expected_chroma[0], rtol=1e-5)
    np.testing.assert_allclose(
        pulled[0] / np.linalg.norm(pulled[0]), mean[0] / mean_chroma[0], rtol=1e-5
    )
    np.testing.assert_allclose(pulled[1], mean[1], atol=1e-6)


def _tiny_class_generator():
    from kcolor.models import build_generator

    return build_generator("default", head="classification", filters=(4, 8))


def test_score_checkpoints_scores_each_kept_epoch_once_in_its_start_architecture(tmp_path):
    from kcolor.models.predictors import load_keras_model

    tool = _tool("score_checkpoints")
    start, run, photos = tmp_path / "start", tmp_path / "run", tmp_path / "photos"
    for folder in (start, run / "checkpoints", photos):
        folder.mkdir(parents=True)
    _tiny_class_generator().save(start / "generator.keras")
    (run / "config.yaml").write_text(f"init_generator: {start}\n")
    trained = {}
    for epoch in (1, 2):
        model = _tiny_class_generator()
        model.set_weights([w + 0.1 * epoch for w in model.get_weights()])
        model.save_weights(run / "checkpoints" / f"epoch-00{epoch}.weights.h5")
        trained[epoch] = model
    rng = np.random.default_rng(0)
    for index in range(2):
        pixels = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(photos / f"p{index}.png")

    template = tool.template_generator(run)
    assert template == start / "generator.keras"
    assert tool.score_pending(run, template, 0.5, str(photos), 32, epochs=[2]) == 1
    assert sorted(p.name for p in (run / "eval").glob("*.json")) == ["epoch2-t0.5.json"]
    assert tool.score_pending(run, template, 0.4, str(photos), 32) == 2
    for epoch, model in trained.items():
        report = json.loads((run / "eval" / f"epoch{epoch}-t0.4.json").read_text())
        assert report["n_images"] == 2 and report["image_size"] == 32
        assert set(report["results"][0]["metrics"]) == set(tool.METRICS)
        copy = load_keras_model(run / "eval" / f"epoch{epoch}-t0.4.keras")
        assert copy.temperature == 0.4
        for a, b in zip(copy.get_weights(), model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    assert tool.score_pending(run, template, 0.4, str(photos), 32) == 0  # nothing new


def test_score_checkpoints_template_of_a_run_started_from_the_shipped_model(tmp_path):
    from kcolor.models.predictors import load_keras_model
    from kcolor.models.shipped_generator import load_shipped_generator

    tool = _tool("score_checkpoints")
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("init_generator: default\n")
    template = tool.template_generator(run)
    assert template == run / "eval" / "init-default.keras"
    assert tool.template_generator(run) == template  # rebuilt once, then reused
    shipped = load_shipped_generator("default")
    for a, b in zip(load_keras_model(template).get_weights(), shipped.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_score_checkpoints_of_a_guided_run_load_into_a_guided_copy_and_sweep(tmp_path):
    from kcolor.models.guidance import guided_copy

    tool = _tool("score_checkpoints")
    start, run, photos = tmp_path / "start", tmp_path / "run", tmp_path / "photos"
    for folder in (start, run / "checkpoints", photos):
        folder.mkdir(parents=True)
    automatic = _tiny_class_generator()
    automatic.save(start / "generator.keras")
    (run / "config.yaml").write_text(f"init_generator: {start}\nmodel:\n  guided: true\n")
    guided = guided_copy(automatic)
    guided.set_weights([w + 0.05 for w in guided.get_weights()])
    guided.save_weights(run / "checkpoints" / "epoch-001.weights.h5")
    rng = np.random.default_rng(1)
    for index in range(2):
        pixels = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(photos / f"p{index}.png")

    template = tool.template_generator(run)
    assert template == run / "eval" / "generator-guided.keras"
    assert tool.score_pending(run, template, 0.4, str(photos), 32, hint_counts=(0, 3)) == 1
    sweep = json.loads((run / "eval" / "epoch1-t0.4-sweep.json").read_text())
    assert sweep["protocol"] == "hint sweep" and [r["points"] for r in sweep["results"]] == [0, 3]


def _report(data, rows, image_size=256):
    return {"data": data, "image_size": image_size, "n_images": 3, "results": rows}


def test_campaign_curves_place_each_scored_epoch_at_its_cumulative_crops(tmp_path, monkeypatch):
    from kcolor.training import budget

    tool = _tool("campaign_curves")
    run = tmp_path / "stage9"
    (run / "eval").mkdir(parents=True)
    per_epoch = {str(e): {"steps": 10, "seconds": 60.0, "device": "cpu"} for e in (1, 2)}
    budget.write_budget(
        run, {"crops": 320, "steps": 20, "epochs": 2, "per_epoch": per_epoch}, {"crops": 1000}
    )
    scores = {"psnr": {"mean": 23.5}, "colorfulness": {"mean": 25.0}, "cast": {"mean": 5.0}}
    own = f"{run}/eval/epoch{{}}-t{{}}.keras"
    rows = [
        {"model": own.format(1, 0.4), "metrics": scores},
        {"model": own.format(2, 0.4), "metrics": {**scores, "psnr": {"mean": 23.7}}},
        {"model": own.format(2, 0.5), "metrics": scores},  # another temperature
        {"model": f"{tmp_path}/other/eval/epoch1-t0.4.keras", "metrics": scores},  # another run
    ]
    (run / "eval" / "a.json").write_text(json.dumps(_report("lists/val-general.txt", rows)))
    other_set = _report("lists/val-pool.txt", rows[:1])
    (run / "eval" / "b.json").write_text(json.dumps(other_set))
    points, counts = tool.scored_epochs(run, 0.4, "val-general.txt", 256)
    assert sorted(points) == [1, 2] and counts == {3}
    assert points[1][0] == 1160 and points[2][0] == 1320  # 1000 + 16 crops a step
    assert points[2][1]["psnr"]["mean"] == 23.7
    reference = tmp_path / "ref.json"
    gray = {"psnr": {"mean": 23.0}, "colorfulness": {"mean": 0.0}, "cast": {"mean": 0.0}}
    reference.write_text(
        json.dumps(_report("val-general.txt", [{"model": "gray", "metrics": gray}]))
    )
    out = tmp_path / "curves.png"
    args = [str(run), "--data", "x/val-general.txt", "--reference", str(reference)]
    monkeypatch.setattr(
        "sys.argv", ["campaign_curves.py", *args, "--name", "gray=gray", "-o", str(out)]
    )
    tool.main()
    assert Image.open(out).size[0] > 0
    # Epochs on a line (PSNR falls 0.1 dB and the cast rises 0.3 per point of colorfulness):
    # read at colorfulness 25, the line's value there, whatever the epochs' own colorfulness.
    line = [
        (
            0,
            {
                "psnr": {"mean": 23.5 - 0.1 * d},
                "colorfulness": {"mean": 25 + d},
                "cast": {"mean": 5 + 0.3 * d},
            },
        )
        for d in (-2.0, 1.0, 3.0)
    ]
    read = tool.at_colorfulness(line, 25.0)
    assert read["psnr"] == pytest.approx((23.5, -0.1)) and read["cast"] == pytest.approx((5.0, 0.3))


def test_graft_keeps_the_trunk_and_copies_the_hint_paths(tmp_path):
    from kcolor.models import build_generator
    from kcolor.models.guidance import is_guidance_layer

    kwargs = {"head": "classification", "filters": (8, 16, 32)}
    trunk = build_generator("default", **kwargs)
    guided = build_generator("default", guided=True, **kwargs)
    rng = np.random.default_rng(3)
    for layer in guided.layers:
        if layer.weights:
            layer.set_weights(
                [rng.normal(0, 0.1, w.shape).astype("float32") for w in layer.weights]
            )
    trunk.save(tmp_path / "trunk.keras")
    guided.save(tmp_path / "guided.keras")
    _tool("graft_guidance").main(
        [str(tmp_path / "trunk.keras"), str(tmp_path / "guided.keras"), str(tmp_path / "g.keras")]
    )
    import keras

    grafted = keras.saving.load_model(tmp_path / "g.keras")
    for layer in grafted.layers:
        source = guided if is_guidance_layer(layer) else trunk
        if layer.weights:
            theirs = source.get_layer(layer.name).get_weights()
            for a, b in zip(layer.get_weights(), theirs, strict=True):
                np.testing.assert_array_equal(a, b)


def test_propagated_difference_keeps_the_hints_and_the_model_without_them():
    from kcolor.color.hints import Guidance
    from kcolor.models.predictors import GrayBaseline

    class Flat(GrayBaseline):
        name = "flat"

        def predict_ab(self, l_norm, guidance=None):
            return np.full(np.shape(l_norm)[:-1] + (2,), 0.1, np.float32)

    mix = _tool("propagation_mix").PropagatedDifference(Flat())
    l_norm = np.linspace(-1, 1, 2 * 16 * 16, dtype=np.float32).reshape(2, 16, 16, 1)
    hint_ab = np.zeros((2, 16, 16, 2), np.float32)
    mask = np.zeros((2, 16, 16, 1), np.float32)
    hint_ab[:, 3, 4] = (0.5, -0.25)
    mask[:, 3, 4] = 1.0
    out = mix.predict_ab(l_norm, Guidance(hint_ab, mask, np.zeros((2, 263), np.float32)))
    np.testing.assert_allclose(out[:, 3, 4], [[0.5, -0.25]] * 2, atol=1e-6)
    assert np.abs(out[:, 12, 12] - 0.1).max() > 0  # the difference spreads
    np.testing.assert_array_equal(mix.predict_ab(l_norm), Flat().predict_ab(l_norm))
