"""RunConfig validation, TOML I/O and the model summary."""

from __future__ import annotations

import math
import re

import pytest

from tui_dl.engine.config import (
    DataConfig,
    ModelConfig,
    RunConfig,
    TrainConfig,
    dump_toml,
    load_toml,
    save_toml,
)
from tui_dl.engine.errors import ConfigError, UserError


def test_defaults_validate():
    config = RunConfig()
    assert config.problems() == []
    assert config.validate() is config


@pytest.mark.parametrize(
    ("section", "field", "value", "message"),
    [
        ("train", "lr", -1, r"learning rate must be > 0 .*got -1"),
        ("train", "lr", 0, r"learning rate must be > 0 .*got 0"),
        ("train", "lr", 1000, r"learning rate .*at most 100.*got 1000"),
        ("train", "momentum", 1.0, r"momentum must be .*got 1.0"),
        ("train", "reg_rate", -0.1, r"regularization rate .*got -0.1"),
        ("train", "regularization", "l3", r"regularization must be one of none, l1, l2, got 'l3'"),
        ("train", "schedule", "linear", r"schedule must be one of constant, step, cosine, plateau, got 'linear'"),
        ("train", "warmup", -1, r"warm-up must be a whole number of epochs >= 0 .*got -1"),
        ("train", "warmup", 50, r"warm-up must be shorter than the run's 50 epochs, got 50"),
        ("train", "decay_epochs", 0, r"decay epochs must be a whole number from 1 .*got 0"),
        ("train", "decay_factor", 1.0, r"decay factor must be above 0 and below 1, got 1.0"),
        ("train", "decay_factor", 0, r"decay factor must be above 0 and below 1, got 0"),
        ("model", "features", ["x1", "x3"], r"input features must be among x1, x2, x1\^2, .*sin\(x2\), got 'x3'"),
        ("model", "features", ["x1", "x1"], r"input feature 'x1' is given twice"),
        ("model", "features", "x1", r"input features must be among .*got 'x1'"),
        ("train", "batch_size", 0, r"batch size .*got 0"),
        ("train", "batch_size", 2.5, r"batch size .*whole number.*got 2.5"),
        ("train", "epochs", 0, r"epochs must be .*got 0"),
        ("train", "seed", -3, r"seed must be .*got -3"),
        ("train", "optimizer", "rmsprop", r"optimizer must be one of sgd, adam, adamw, got 'rmsprop'"),
        ("train", "device", "gpu", r"device must be .*got 'gpu'"),
        ("train", "early_stop", -1, r"early-stopping patience .*got -1"),
        ("model", "layers", -1, r"hidden layers must be .*got -1"),
        ("model", "layers", 65, r"hidden layers must be .*got 65"),
        ("model", "neurons", [0], r"neurons per layer must be from 1 .*got 0"),
        ("model", "neurons", [], r"neurons per layer .*got nothing"),
        ("model", "activation", "swish", r"activation must be one of .*got 'swish'"),
        ("model", "dropout", 1.0, r"dropout must be .*got 1.0"),
        ("data", "samples", 5, r"samples must be .*got 5"),
        ("data", "noise", 2, r"noise must be between 0 and 1, got 2"),
        ("data", "window", 0, r"window must be .*got 0"),
        ("data", "val_split", 0.96, r"validation split .*got 0.96"),
        ("data", "test_split", 0.5, r"test split .*got 0.5"),
        ("data", "task", "ranking", r"task must be one of auto, classification, regression, got 'ranking'"),
        ("data", "dataset", "  ", r"data set must be .*got nothing"),
        ("data", "seed", -1, r"seed must be .*got -1"),
    ],
)
def test_each_invalid_field_is_named(section, field, value, message):
    config = RunConfig()
    setattr(getattr(config, section), field, value)
    problems = config.problems()
    assert [name for name, _ in problems][:1] == [f"{section}.{field}"]
    assert any(re.search(message, text) for _, text in problems), problems
    with pytest.raises(ConfigError) as info:
        config.validate()
    assert isinstance(info.value, UserError)
    assert info.value.problems == problems
    assert re.search(message, str(info.value))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(("section", "field"), [("train", "lr"), ("train", "momentum"), ("train", "reg_rate"),
                                                 ("train", "decay_factor"),
                                                 ("model", "dropout"), ("data", "noise"), ("data", "val_split"),
                                                 ("data", "test_split")])
def test_non_finite_numbers_are_rejected(section, field, bad):
    config = RunConfig()
    setattr(getattr(config, section), field, bad)
    assert f"{section}.{field}" in [name for name, _ in config.problems()]


def test_booleans_are_not_numbers():
    config = RunConfig(train=TrainConfig(epochs=True, lr=True))
    names = [name for name, _ in config.problems()]
    assert "train.epochs" in names and "train.lr" in names


def test_splits_must_leave_training_data():
    problems = DataConfig(val_split=0.5, test_split=0.45).problems()
    assert problems and problems[0][0] == "test_split"
    assert "leave at least 5%" in problems[0][1]


def test_per_layer_widths_must_match_layer_count():
    problems = ModelConfig(layers=3, neurons=[64, 32]).problems()
    assert ("neurons", "2 layer widths given for 3 hidden layers") in problems
    assert ModelConfig(layers=2, neurons=[64, 32]).problems() == []


def test_all_problems_are_listed_together():
    config = RunConfig(DataConfig(samples=1), ModelConfig(activation="x"), TrainConfig(lr=-1, epochs=0))
    names = [name for name, _ in config.problems()]
    assert names == ["data.samples", "model.activation", "train.lr", "train.epochs"]


def _custom_config() -> RunConfig:
    return RunConfig(
        DataConfig(dataset='my "data".csv', target="price", task="regression", samples=321, noise=0.25,
                   window=3, val_split=0.15, test_split=0.1, seed=7),
        ModelConfig(layers=3, neurons=[64, 32, 8], activation="leaky_relu", dropout=0.2,
                    features=["x1", "x1*x2", "sin(x2)"]),
        TrainConfig(optimizer="sgd", lr=0.003, momentum=0.5, regularization="l1", reg_rate=1e-4, batch_size=17,
                    epochs=12, seed=3, device="cuda:1", early_stop=4, schedule="cosine", warmup=2, decay_epochs=3,
                    decay_factor=0.25),
    )


@pytest.mark.parametrize("config", [RunConfig(), _custom_config()], ids=["defaults", "custom"])
def test_toml_round_trip(tmp_path, config):
    path = tmp_path / "run.toml"
    save_toml(config, path)
    loaded = load_toml(path)
    assert loaded == config
    assert dump_toml(loaded) == dump_toml(config)


@pytest.mark.parametrize("dataset", ['C:\\data\\"quoted" set.csv', "données/ü.csv", "tab\there.csv"])
def test_toml_round_trip_of_awkward_strings(tmp_path, dataset):
    config = RunConfig(DataConfig(dataset=dataset, target="a 'b' \\ c"))
    save_toml(config, tmp_path / "run.toml")
    assert load_toml(tmp_path / "run.toml") == config


def test_toml_round_trip_of_control_characters(tmp_path):
    config = RunConfig(DataConfig(dataset="two\nlines.csv"))
    save_toml(config, tmp_path / "run.toml")
    assert load_toml(tmp_path / "run.toml") == config


def test_toml_accepts_single_neuron_count(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[model]\nlayers = 3\nneurons = 8\n")
    config = load_toml(path)
    assert config.model.neurons == [8]
    assert config.model.hidden_sizes() == [8, 8, 8]
    assert config.data == DataConfig() and config.train == TrainConfig()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[optimiser]\nlr = 0.1\n", "unknown section [optimiser]"),
        ("[train]\nlearning_rate = 0.1\n", "unknown key 'learning_rate' in [train]"),
        ("[model]\nlayers = 2\nwidth = 3\n", "unknown key 'width' in [model]"),
        ("[train\nlr = 0.1\n", "is not valid TOML"),
    ],
)
def test_toml_refuses_unknown_and_invalid(tmp_path, text, needle):
    path = tmp_path / "run.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_toml(path)
    assert needle in str(info.value)


def test_toml_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_toml(tmp_path / "nope.toml")


def test_toml_section_that_is_not_a_table(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('data = "abc"\n')
    with pytest.raises(ConfigError):
        load_toml(path)


def test_toml_wrong_type_for_dataset(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[data]\ndataset = 5\n")
    with pytest.raises(ConfigError):
        load_toml(path).validate()


def test_model_summary_matches_issue():
    assert ModelConfig(layers=2, neurons=[16], activation="relu").summary(2, 2) == "2 -> 16 -> 16 -> 2, relu, 354 params"
    assert ModelConfig(layers=1, neurons=[4], activation="tanh", dropout=0.5).summary(3, 1) == \
        "3 -> 4 -> 1, tanh, dropout 0.5, 21 params"
    assert ModelConfig(layers=0).summary(5, 3) == "5 -> 3, relu, 18 params"


@pytest.mark.parametrize(
    ("model", "inputs", "outputs"),
    [
        (ModelConfig(layers=2, neurons=[16]), 2, 2),
        (ModelConfig(layers=3, neurons=[64, 32, 8], activation="gelu"), 13, 3),
        (ModelConfig(layers=0), 64, 10),
        (ModelConfig(layers=4, neurons=[7], activation="sigmoid", dropout=0.3), 1, 1),
        (ModelConfig(layers=2, neurons=[5, 300], activation="leaky_relu"), 784, 10),
    ],
)
def test_parameter_count_matches_torch(model, inputs, outputs):
    from tui_dl.engine.model import build_model, parameter_count

    net = build_model(model, inputs, outputs)
    assert model.parameter_count(inputs, outputs) == parameter_count(net) == sum(p.numel() for p in net.parameters())
    assert f"{parameter_count(net):,} params" in model.summary(inputs, outputs)


def test_copy_is_deep():
    config = RunConfig()
    clone = config.copy()
    clone.model.neurons.append(3)
    clone.train.lr = 0.5
    clone.data.dataset = "xor"
    assert config == RunConfig()


def test_to_dict_has_only_toml_values():
    data = RunConfig().to_dict()
    assert set(data) == {"data", "model", "train"}
    assert "target" not in data["data"]  # None values are left out
    assert RunConfig.from_dict(data) == RunConfig()


@pytest.mark.parametrize(("decay", "regularization", "rate"), [(0.01, "l2", 0.01), (0.0, "none", 0.001)])
def test_the_weight_decay_of_older_configs_reads_as_l2(tmp_path, decay, regularization, rate):
    path = tmp_path / "old.toml"
    path.write_text(f"[train]\nlr = 0.05\nweight_decay = {decay}\n")
    train = load_toml(path).validate().train
    assert (train.regularization, train.reg_rate, train.lr) == (regularization, rate, 0.05)
    assert "weight_decay" not in dump_toml(load_toml(path))


def test_weight_decay_together_with_regularization_is_refused(tmp_path):
    path = tmp_path / "both.toml"
    path.write_text('[train]\nweight_decay = 0.01\nregularization = "l1"\n')
    with pytest.raises(ConfigError, match=r'weight_decay is the older name of regularization = "l2" with reg_rate'):
        load_toml(path)


@pytest.mark.parametrize("regularization", ["l1", "l2"])
def test_a_regularization_without_a_rate_is_refused(regularization):
    problems = TrainConfig(regularization=regularization, reg_rate=0.0).problems()
    assert problems == [("reg_rate", f"a regularization rate of 0 does nothing: give a rate above 0 for "
                                     f"{regularization.upper()}, or choose none")]
    assert TrainConfig(regularization="none", reg_rate=0.0).problems() == []


def test_the_input_width_counts_the_features():
    assert ModelConfig().input_size(5) == 5
    model = ModelConfig(layers=1, neurons=[4], features=["sin(x1)", "x1", "x1*x2"])
    assert model.input_size(2) == 3
    assert model.summary(model.input_size(2), 2) == "3 -> 4 -> 2, relu, 26 params"
