"""A batch job's input: what an invocation names, resolved to a local path; its files streamed
in mini-batches of `mini_batch_size` files."""

from __future__ import annotations

import pytest

from amlmagic.errors import NotFoundError, UnsupportedError, ValidationError
from amlmagic.local.batch.inputs import count_files, iter_files, mini_batches, resolve_input
from amlmagic.local.workspace import LocalWorkspace


@pytest.fixture
def tree(tmp_path):
    for rel in ("a/1.txt", "a/2.txt", "a/sub/3.txt", "a/sub/deeper/4.txt", "a/.hidden", "a/.git/x"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    return tmp_path


def test_files_are_listed_recursively_or_top_level_only_without_hidden_ones(tree):
    names = sorted(p.rsplit("/", 1)[-1] for p in iter_files(tree / "a"))
    assert names == ["1.txt", "2.txt", "3.txt", "4.txt"]
    assert sorted(p.rsplit("/", 1)[-1] for p in iter_files(tree / "a", recursive=False)) == ["1.txt", "2.txt"]
    assert list(iter_files(tree / "a" / "1.txt")) == [str(tree / "a" / "1.txt")]
    assert count_files(tree / "a") == 4


def test_mini_batches_hold_mini_batch_size_files_and_the_last_the_rest(tree):
    batches = list(mini_batches(tree / "a", 3))
    assert [(i, len(files)) for i, files in batches] == [(0, 3), (1, 1)]
    assert sorted(f for _, files in batches for f in files) == sorted(iter_files(tree / "a"))


def test_the_listing_is_streamed(tmp_path):
    (tmp_path / "many").mkdir()
    for i in range(50):
        (tmp_path / "many" / f"{i}.txt").write_text("x")
    stream = mini_batches(tmp_path / "many", 10)
    first = next(stream)
    assert first[0] == 0 and len(first[1]) == 10  # a generator: nothing past the first mini-batch is read yet


def test_inputs_resolve_as_invoke_names_them(tree):
    from azure.ai.ml.entities import Data

    ws = LocalWorkspace(tree / ".amlmagic")
    store = ws.store
    assert resolve_input(store, "a", tree) == tree / "a"
    assert resolve_input(store, str(tree / "a" / "1.txt"), tree, "uri_file") == tree / "a" / "1.txt"
    (ws.root / "datastores" / "workspaceblobstore" / "in").mkdir(parents=True)
    assert resolve_input(store, "azureml://datastores/workspaceblobstore/paths/in/", tree).name == "in"
    from amlmagic.local.operations.data import DataOperations

    DataOperations(ws).create_or_update(Data(name="numbers", path=str(tree / "a"), type="uri_folder"))
    assert resolve_input(store, "azureml:numbers@latest", tree).is_dir()
    assert resolve_input(store, "numbers:1", tree).is_dir()
    with pytest.raises(NotFoundError, match="does not exist"):
        resolve_input(store, "nothing-here", tree)
    with pytest.raises(NotFoundError, match="data asset not found"):
        resolve_input(store, "azureml:numbers:9", tree)
    with pytest.raises(UnsupportedError, match="no web URLs"):
        resolve_input(store, "https://example.com/x", tree)
    with pytest.raises(ValidationError, match="is a file but --input-type is uri_folder"):
        resolve_input(store, "a/1.txt", tree, "uri_folder")
    with pytest.raises(ValidationError, match="has no input"):
        resolve_input(store, "", tree)
