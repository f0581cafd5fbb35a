"""Recipes, options and --set overrides resolve in the documented order."""

import pytest

from kcolor.training.config import config_from_dict, parse_set, resolve_config, write_config


def test_precedence_recipe_then_options_then_set(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("arch: unet\nloss: mse\nlr: 0.001\nepochs: 5\ngan:\n  l1_weight: 0.5\n")
    config = resolve_config(
        recipe, {"data": "x", "lr": 0.01}, ["epochs=7", "gan.adversarial=hinge"]
    )
    assert (config.arch, config.loss, config.lr, config.epochs) == ("unet", "mse", 0.01, 7)
    assert config.gan.l1_weight == 0.5 and config.gan.adversarial == "hinge"
    write_config(config, tmp_path / "config.yaml")
    assert resolve_config(tmp_path / "config.yaml") == config


def test_bad_keys_and_values_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown config key"):
        config_from_dict({"data": "x", "learning_rate": 1})
    with pytest.raises(ValueError, match="gan.l1"):
        config_from_dict({"data": "x", "gan": {"l1": 1}})
    with pytest.raises(ValueError, match="arch must be one of"):
        config_from_dict({"data": "x", "arch": "resnet"})
    with pytest.raises(ValueError, match="data is required"):
        config_from_dict({})
    with pytest.raises(ValueError, match="key=value"):
        parse_set(["epochs"])
    with pytest.raises(FileNotFoundError):
        resolve_config(tmp_path / "missing.yaml")


def test_set_values_are_typed():
    assert parse_set(["model.filters=[8, 16]", "seed=3", "cache=true"]) == {
        "model": {"filters": [8, 16]},
        "seed": 3,
        "cache": True,
    }


def test_every_shipped_recipe_resolves():
    from pathlib import Path

    recipes = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))
    # the study's 7 runs, the CPU default, its GAN fine-tune and its classification variant
    assert len(recipes) == 10
    for recipe in recipes:
        config = resolve_config(recipe, {"data": "photos/"})
        assert config.data == "photos/"
