"""Users' files: CSV, NPZ and MNIST-format IDX pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import idx_bytes, write_mnist_pair
from tui_dl.engine.config import DataConfig
from tui_dl.engine.data.registry import load_raw
from tui_dl.engine.errors import DataError
from tui_dl.engine.data.files import load_file, read_idx


def write_csv(path: Path, header: list[str], rows: list[list[object]], sep: str = ",") -> Path:
    path.write_text("\n".join(sep.join(str(c) for c in row) for row in [header, *rows]) + "\n")
    return path


def animals(n: int = 20) -> list[list[object]]:
    kinds = ["cat", "dog", "owl"]
    return [[i * 0.5, (i * 7) % 5, kinds[i % 3]] for i in range(n)]


# CSV -------------------------------------------------------------------------------------------

def test_csv_string_target_is_classification(tmp_path):
    raw = load_file(write_csv(tmp_path / "a.csv", ["size", "legs", "kind"], animals()))
    assert raw.task == "classification"
    assert raw.class_names == ["cat", "dog", "owl"]
    assert all(type(c) is str for c in raw.class_names)
    assert raw.feature_names == ["size", "legs"]
    assert raw.x.shape == (20, 2) and raw.x.dtype == np.float32
    assert raw.y.tolist() == [i % 3 for i in range(20)]
    assert raw.name == "a.csv"
    assert raw.notices == ["target 'kind': the last column, by default (choose another with --target, or `t` in the "
                           "Data tab's column list)"]
    assert raw.plan.target.name == "kind" and raw.rows == 20 and raw.dropped_rows == 0


def test_csv_chosen_target_gives_no_target_notice(tmp_path):
    raw = load_file(write_csv(tmp_path / "a.csv", ["size", "legs", "kind"], animals()), target="kind")
    assert raw.notices == []


def test_csv_numeric_target_with_many_values_is_regression(tmp_path):
    rows = [[i, i % 4, i * 1.5 + 0.25] for i in range(30)]
    raw = load_file(write_csv(tmp_path / "r.csv", ["a", "b", "price"], rows))
    assert raw.task == "regression"
    assert raw.y.shape == (30, 1) and raw.y.dtype == np.float32
    np.testing.assert_allclose(raw.y[:, 0], [r[2] for r in rows])
    assert raw.outputs == 1


def test_csv_whole_number_target_with_few_values_is_classification(tmp_path):
    rows = [[i, i % 3 + 1] for i in range(15)]
    raw = load_file(write_csv(tmp_path / "c.csv", ["a", "grade"], rows))
    assert raw.task == "classification"
    assert raw.class_names == ["1", "2", "3"]
    assert raw.y.tolist() == [i % 3 for i in range(15)]


def test_csv_task_override(tmp_path):
    path = write_csv(tmp_path / "c.csv", ["a", "grade"], [[i, i % 3] for i in range(15)])
    raw = load_file(path, task="regression")
    assert raw.task == "regression" and raw.y.shape == (15, 1)
    many = write_csv(tmp_path / "m.csv", ["a", "y"], [[i, i] for i in range(30)])
    assert load_file(many).task == "regression"
    raw = load_file(many, task="classification")
    assert raw.task == "classification" and len(raw.class_names) == 30
    # the same override through the registry entry point
    assert load_raw(DataConfig(dataset=str(path), task="regression")).task == "regression"


def test_csv_text_target_cannot_be_regression(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["size", "legs", "kind"], animals())
    with pytest.raises(DataError, match="text targets, so it cannot be a regression task"):
        load_file(path, task="regression")


def test_csv_chosen_target_column(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["size", "kind", "legs"], [[r[0], r[2], r[1]] for r in animals()])
    raw = load_file(path, target="kind")
    assert raw.class_names == ["cat", "dog", "owl"]
    assert raw.feature_names == ["size", "legs"]


def test_csv_categorical_feature_is_one_hot(tmp_path):
    colours = ["red", "green", "blue", "green"]
    rows = [[i, colours[i % 4], i % 2] for i in range(16)]
    raw = load_file(write_csv(tmp_path / "c.csv", ["n", "colour", "label"], rows))
    assert raw.feature_names == ["n", "colour=blue", "colour=green", "colour=red"]
    assert raw.x.shape == (16, 4)
    one_hot = raw.x[:, 1:]
    assert np.all(one_hot.sum(axis=1) == 1)
    for i, colour in enumerate(colours * 4):
        assert one_hot[i, ["blue", "green", "red"].index(colour)] == 1


def test_csv_semicolon_delimiter(tmp_path):
    raw = load_file(write_csv(tmp_path / "s.csv", ["size", "legs", "kind"], animals(), sep=";"))
    assert raw.features == 2 and raw.class_names == ["cat", "dog", "owl"]


def test_csv_rows_with_missing_values_are_dropped_with_missing_drop(tmp_path):
    rows = animals(20)
    rows[3][0] = ""
    rows[7][1] = "NA"
    rows[11][2] = "?"
    raw = load_file(write_csv(tmp_path / "m.csv", ["size", "legs", "kind"], rows), missing="drop")
    assert raw.samples == 17 and raw.rows == 20 and raw.dropped_rows == 3
    assert "dropped 1 of 20 rows without a target value" in raw.notices
    assert "dropped 2 of 20 rows with a missing feature value (--missing drop)" in raw.notices
    assert raw.feature_names == ["size", "legs"]  # no "was missing" columns when rows are dropped
    assert np.all(np.isfinite(raw.x))


def test_csv_mostly_missing_column_is_ignored(tmp_path):
    rows = [[i, "" if i % 4 else 1, i % 2] for i in range(20)]
    raw = load_file(write_csv(tmp_path / "m.csv", ["a", "sparse", "y"], rows))
    assert raw.feature_names == ["a"]
    assert raw.samples == 20
    assert raw.plan.excluded() == {"sparse": "mostly missing: 75% of its values are missing"}
    assert any("left out 'sparse' (mostly missing: 75%" in n for n in raw.notices)


def test_csv_too_few_rows_after_dropping(tmp_path):
    rows = animals(12)
    for i in range(5):
        rows[i][0] = "nan"
    path = write_csv(tmp_path / "few.csv", ["size", "legs", "kind"], rows)
    with pytest.raises(DataError, match=r"only 7 rows remain after dropping rows with missing values") as info:
        load_file(path, missing="drop")
    assert "at least 10" in str(info.value) and "'size' alone misses 5" in str(info.value)
    assert load_file(path).samples == 12  # imputed by default


def test_csv_too_few_rows(tmp_path):
    with pytest.raises(DataError, match="has 5 data rows; at least 10 are needed"):
        load_file(write_csv(tmp_path / "few.csv", ["size", "legs", "kind"], animals(5)))


def test_csv_unknown_target_lists_columns(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["size", "legs", "kind"], animals())
    with pytest.raises(DataError) as info:
        load_file(path, target="species")
    assert str(info.value) == "a.csv has no column 'species'; columns are: size, legs, kind"


def test_csv_ragged_row_names_the_row(tmp_path):
    path = tmp_path / "r.csv"
    lines = ["a,b,y"] + [f"{i},{i},{i % 2}" for i in range(12)]
    lines[5] = "4,1"  # the file's 6th line, the header being line 1
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"r.csv: row 6 has 2 fields but the header has 3"):
        load_file(path)


def test_csv_ragged_row_number_counts_blank_lines(tmp_path):
    path = tmp_path / "r.csv"
    lines = ["a,b,y"] + [f"{i},{i},{i % 2}" for i in range(12)]
    lines[2] = ""
    lines[5] = "4,1"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"row 6 has 2 fields"):
        load_file(path)


def test_csv_one_class_only(tmp_path):
    rows = [[i, i * 2, "yes"] for i in range(12)]
    with pytest.raises(DataError, match=r"column 'label' has only one class \(yes\); classification needs at least two"):
        load_file(write_csv(tmp_path / "one.csv", ["a", "b", "label"], rows))


def test_csv_no_feature_columns(tmp_path):
    rows = [[f"id{i}", i % 2] for i in range(60)]  # 60 distinct text ids: too many categories
    with pytest.raises(DataError, match=r"no usable feature columns besides the target 'y' \(left out: 'id': a "
                                        r"different text in every row \(an ID or a name\)\)"):
        load_file(write_csv(tmp_path / "ids.csv", ["id", "y"], rows))


def test_csv_single_column(tmp_path):
    with pytest.raises(DataError, match="at least two columns"):
        load_file(write_csv(tmp_path / "one.csv", ["y"], [[i] for i in range(12)]))


def test_empty_and_binary_files(tmp_path):
    (tmp_path / "empty.csv").write_text("  \n")
    with pytest.raises(DataError, match="empty.csv is empty"):
        load_file(tmp_path / "empty.csv")
    (tmp_path / "bin.csv").write_bytes(b"a,b\n\x00\x01\x02")
    with pytest.raises(DataError, match="binary file"):
        load_file(tmp_path / "bin.csv")


def test_csv_with_only_delimiters(tmp_path):
    (tmp_path / "commas.csv").write_text(",,,\n,,,\n")
    with pytest.raises(DataError, match="commas.csv holds no values"):
        load_file(tmp_path / "commas.csv")


def test_csv_row_number_column_is_ignored(tmp_path):
    rows = [[i + 1, i * 0.5, i % 2] for i in range(14)]
    raw = load_file(write_csv(tmp_path / "ids.csv", ["PassengerId", "fare", "survived"], rows))
    assert raw.feature_names == ["fare"]
    assert any("left out 'PassengerId' (an ID: a different whole number in every row)" in n for n in raw.notices)


def test_csv_decimal_commas_with_semicolons(tmp_path):
    rows = [[f"{i},5", i % 2] for i in range(12)]
    raw = load_file(write_csv(tmp_path / "eu.csv", ["x", "y"], rows, sep=";"))
    np.testing.assert_allclose(raw.x[:, 0], [i + 0.5 for i in range(12)])
    assert any("decimal commas" in n for n in raw.notices)


def test_csv_non_finite_numeric_values_count_as_missing(tmp_path):
    rows = [[i, i % 2] for i in range(14)]
    rows[0][0] = "inf"
    path = write_csv(tmp_path / "inf.csv", ["a", "y"], rows)
    assert load_file(path, missing="drop").samples == 13
    raw = load_file(path)
    assert raw.samples == 14 and np.isnan(raw.x[0, 0]) and raw.x[0, 1] == 1.0
    assert raw.plan.imputed() == {"a": 1}


def test_missing_file_through_registry(tmp_path):
    with pytest.raises(DataError, match="nor an existing file"):
        load_raw(DataConfig(dataset=str(tmp_path / "nope.csv")))


# NPZ -------------------------------------------------------------------------------------------

def test_npz_with_x_and_y(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(25, 3, 2))
    y = np.arange(25) % 3
    np.savez(tmp_path / "d.npz", x=x, y=y)
    raw = load_raw(DataConfig(dataset=str(tmp_path / "d.npz")))
    assert raw.task == "classification"
    assert raw.x.shape == (25, 6) and raw.x.dtype == np.float32
    np.testing.assert_allclose(raw.x, x.reshape(25, -1).astype(np.float32))
    assert raw.class_names == ["0", "1", "2"]
    assert raw.feature_names[0] == "x0" and len(raw.feature_names) == 6


def test_npz_multi_output_regression(tmp_path):
    np.savez(tmp_path / "r.npz", x=np.ones((12, 2)), y=np.arange(36, dtype=float).reshape(12, 3))
    raw = load_file(tmp_path / "r.npz")
    assert raw.task == "regression" and raw.outputs == 3


def test_npz_with_sklearn_style_capital_x_and_y(tmp_path):
    np.savez(tmp_path / "s.npz", X=np.arange(24, dtype=float).reshape(12, 2), Y=np.arange(12) % 2)
    raw = load_file(tmp_path / "s.npz")
    assert raw.x.shape == (12, 2) and raw.class_names == ["0", "1"] and raw.plan is None


def test_npz_without_x(tmp_path):
    np.savez(tmp_path / "bad.npz", features=np.ones((12, 2)), y=np.zeros(12))
    with pytest.raises(DataError, match=r"bad.npz has no array named 'x' or 'X' \(it has: features, y\)"):
        load_file(tmp_path / "bad.npz")


def test_column_options_do_not_apply_to_npz(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.ones((12, 2)), y=np.arange(12) % 2)
    with pytest.raises(DataError, match="--exclude and --include apply to CSV columns; d.npz is not a CSV file"):
        load_file(tmp_path / "d.npz", exclude=["x0"])


def test_npz_mismatched_lengths(tmp_path):
    np.savez(tmp_path / "bad.npz", x=np.ones((12, 2)), y=np.zeros(11))
    with pytest.raises(DataError, match="x must be N x features and y must have N rows"):
        load_file(tmp_path / "bad.npz")


def test_npz_with_python_objects_is_refused(tmp_path):
    np.savez(tmp_path / "obj.npz", x=np.ones((12, 2)), y=np.array([{"a": 1}] * 12, dtype=object))
    with pytest.raises(DataError, match="holds Python objects"):
        load_file(tmp_path / "obj.npz")


def test_npz_that_is_not_a_zip(tmp_path):
    (tmp_path / "fake.npz").write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(DataError, match="not a valid .npz archive"):
        load_file(tmp_path / "fake.npz")


def test_npz_scalar_y(tmp_path):
    np.savez(tmp_path / "s.npz", x=np.ones((12, 2)), y=np.array(5))
    with pytest.raises(DataError):
        load_file(tmp_path / "s.npz")


# IDX -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_idx_pair_loads(tmp_path, gz):
    image_path, label_path = write_mnist_pair(tmp_path, gz=gz)
    images = read_idx(image_path)
    assert images.shape == (30, 28, 28) and images.dtype == np.dtype(">u1")
    for start in (image_path, label_path, tmp_path):  # either file of the pair, or their folder
        raw = load_raw(DataConfig(dataset=str(start)))
        assert raw.task == "classification"
        assert raw.features == 784 and raw.samples == 30 and raw.image_shape == (28, 28)
        assert raw.class_names == [str(d) for d in range(10)]
        assert raw.y.tolist() == [i % 10 for i in range(30)]
        assert 0.0 <= raw.x.min() and raw.x.max() <= 1.0
        np.testing.assert_allclose(raw.x[0] * 255, images[0].reshape(-1), atol=1e-3)
        assert raw.notices == ["30 images of 28x28 pixels"]


def test_idx_folder_prefers_training_files(tmp_path):
    write_mnist_pair(tmp_path, n=20, prefix="t10k")
    write_mnist_pair(tmp_path, n=30, prefix="train")
    assert load_file(tmp_path).samples == 30


def test_fashion_mnist_class_names(tmp_path):
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    write_mnist_pair(folder)
    raw = load_file(folder)
    assert raw.class_names[0] == "T-shirt/top" and raw.class_names[9] == "Ankle boot"


def test_idx_truncated(tmp_path):
    image_path, _ = write_mnist_pair(tmp_path)
    data = image_path.read_bytes()
    image_path.write_bytes(data[:-100])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte is truncated: header promises 23,520 bytes of data, found 23,420"):
        load_file(image_path)
    image_path.write_bytes(data[:9])
    with pytest.raises(DataError, match="truncated inside its header"):
        read_idx(image_path)


def test_idx_gzip_truncated(tmp_path):
    image_path, _ = write_mnist_pair(tmp_path, gz=True)
    data = image_path.read_bytes()
    image_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="damaged gzip file"):
        load_file(image_path)


def test_idx_gzip_corrupted_body(tmp_path):
    _, label_path = write_mnist_pair(tmp_path, gz=True)
    data = bytearray(label_path.read_bytes())
    data[10] ^= 0xFF  # first byte of the deflate stream
    label_path.write_bytes(bytes(data))
    with pytest.raises(DataError):
        read_idx(label_path)


@pytest.mark.parametrize("magic", [b"\x00\x00\x08\x00", b"\x01\x00\x08\x03", b"\x00\x00\x07\x03", b"PK\x03\x04"])
def test_idx_wrong_magic(tmp_path, magic):
    image_path, _ = write_mnist_pair(tmp_path)
    image_path.write_bytes(magic + image_path.read_bytes()[4:])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte is not an IDX file \(wrong magic number\)"):
        load_file(image_path)


def test_idx_missing_labels(tmp_path):
    _, label_path = write_mnist_pair(tmp_path)
    label_path.unlink()
    with pytest.raises(DataError, match="cannot find train-labels-idx1-ubyte"):
        load_file(tmp_path / "train-images-idx3-ubyte")


def test_idx_count_mismatch(tmp_path):
    write_mnist_pair(tmp_path, n=30)
    labels = np.zeros(29, dtype=np.uint8)
    labels[::2] = 1
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
    with pytest.raises(DataError, match="do not match"):
        load_file(tmp_path)


def test_idx_folder_without_images(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(DataError, match="holds no \\*-images-idx3-ubyte file"):
        load_file(tmp_path)


def test_idx_float_images_are_not_rescaled(tmp_path):
    images = np.full((12, 2, 2), 3.5, dtype=np.float32)
    header = bytes([0, 0, 0x0D, 3]) + b"".join(int(d).to_bytes(4, "big") for d in images.shape)
    (tmp_path / "f-images-idx3-ubyte").write_bytes(header + images.astype(">f4").tobytes())
    (tmp_path / "f-labels-idx1-ubyte").write_bytes(idx_bytes((np.arange(12) % 2).astype(np.uint8)))
    raw = load_file(tmp_path / "f-images-idx3-ubyte")
    assert raw.features == 4 and np.all(raw.x == 3.5)


def test_a_target_with_a_class_per_row_or_so_is_refused(tmp_path):
    # weather.csv's last column is a timestamp: 8,714 "classes" would train without a word
    from tui_dl.engine.errors import DataError
    from tui_dl.engine.data.files import load_csv

    path = tmp_path / "times.csv"
    path.write_text("x,when\n" + "".join(f"{i},2013-01-{1 + i // 24:02d} {i % 24:02d}:00\n" for i in range(200)))
    with pytest.raises(DataError, match=r"'when' has 200 distinct values in 200 rows: too many to be classes"):
        load_csv(path)
    few = tmp_path / "few.csv"
    few.write_text("x,kind\n" + "".join(f"{i},k{i % 40}\n" for i in range(200)))
    assert len(load_csv(few).class_names) == 40  # 40 classes of 5 rows: a real target
