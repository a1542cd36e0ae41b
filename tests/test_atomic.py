"""Files that later commands read are replaced whole or not at all."""

from __future__ import annotations

import pytest

from pipeline.atomic import TEMP_PREFIX, atomic_path, remove_leftovers, write_text


def test_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "sub" / "ids.json"
    write_text(target, '{"a": 1}')
    write_text(target, '{"a": 2}')
    assert target.read_text() == '{"a": 2}'
    assert [p.name for p in target.parent.iterdir()] == ["ids.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    target = tmp_path / "model.json"
    write_text(target, "oud")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("killed halfway")
    assert target.read_text() == "oud"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_temporary_file_sits_beside_the_target_with_its_suffix(tmp_path):
    with atomic_path(tmp_path / "arrays.npz") as temporary:
        assert temporary.parent == tmp_path and temporary.suffix == ".npz"
        temporary.write_bytes(b"x")


def test_leftovers_of_a_killed_write_are_removed(tmp_path):
    (tmp_path / f"{TEMP_PREFIX}abc.json").write_text("half")
    (tmp_path / "ids.json").write_text("{}")
    assert remove_leftovers(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["ids.json"]


def test_written_files_get_the_usual_mode_not_a_private_one(tmp_path):
    import os
    import stat

    from pipeline.atomic import write_text

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "taxonomy.yaml", "x: 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "taxonomy.yaml").stat().st_mode) == 0o644
