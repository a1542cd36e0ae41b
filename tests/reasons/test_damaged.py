"""A model file that cannot be read back (a kill during an old save, a disk error) is one
Dutch line that names the file and says to refit; never a traceback."""

from __future__ import annotations

import json
import shutil

import pytest

from pipeline.errors import NotFittedError
from pipeline.reasons import core
from pipeline.reasons.model import ReasonModel
from tests.reasons.synthetic import NL


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    texts = [t for examples in NL.values() for t in examples][:24]
    folder = tmp_path_factory.mktemp("model")
    ReasonModel(min_reasons=3, max_reasons=6).fit(texts).save(folder)
    return folder


@pytest.fixture
def copy(saved, tmp_path):
    target = tmp_path / "nl"
    shutil.copytree(saved, target)
    return target


def test_saved_model_loads(copy):
    assert ReasonModel.load(copy).n_reasons_ >= 3


@pytest.mark.parametrize("name", ["model.json", "arrays.npz", "embedder.joblib"])
def test_a_half_written_file_is_one_clear_error(copy, name):
    data = (copy / name).read_bytes()
    (copy / name).write_bytes(data[:len(data) // 2])
    with pytest.raises(NotFittedError) as info:
        ReasonModel.load(copy)
    text = str(info.value)
    assert "beschadigd" in text and "klantvraag reasons" in text
    assert info.value.path.endswith(name) or name != "model.json"


def test_files_from_two_saves_are_not_mixed(copy, tmp_path):
    other = tmp_path / "other"
    texts = [t for examples in list(NL.values())[2:] for t in examples][:20]
    ReasonModel(min_reasons=3, max_reasons=5).fit(texts).save(other)
    shutil.copyfile(other / "arrays.npz", copy / "arrays.npz")
    with pytest.raises(NotFittedError, match="beschadigd"):
        ReasonModel.load(copy)


def test_damaged_ids_json_blocks_apply_but_not_a_refit(tmp_path):
    (tmp_path / "ids.json").write_text('{"nl": {"0": "nl-0')
    with pytest.raises(NotFittedError) as info:
        core._load_ids(tmp_path)
    assert info.value.path.endswith("ids.json")
    assert core._load_ids(tmp_path, damaged_ok=True) == {}


def test_model_json_records_the_files_it_belongs_to(copy):
    meta = json.loads((copy / "model.json").read_text())
    assert set(meta["files"]) >= {"arrays.npz"}
