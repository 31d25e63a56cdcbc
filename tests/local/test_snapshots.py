"""The local code snapshot holds exactly the files azure-ai-ml would upload for the same `code:`
folder (root `.amlignore`, else `.gitignore`), minus our always-ignored folders. Parity is
checked against the SDK's own upload walk (`get_upload_files_from_folder` with
`get_ignore_file(...)`, i.e. `IgnoreFile.is_file_excluded`) over the same tree."""

from __future__ import annotations

import ast
import os
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlmagic.errors import ValidationError
from amlmagic.local.snapshots import SNAPSHOT_IGNORE, snapshot_code

TREE = [
    "train.py", "src/model.py", "src/secret.txt", "run.log", "model.ckpt", "keep.ckpt",
    "sub/keep.ckpt", "sub/other.ckpt", "sub/deep/a.csv", "data/big.bin", "data/nested/x.csv",
    "data/keep.ckpt", "models/keep.ckpt", "models/m.ckpt", ".git/HEAD", "__pycache__/m.pyc",
    "src/__pycache__/model.pyc", ".ipynb_checkpoints/train-checkpoint.py", "[unclosed",
]


def build(root: Path, files=TREE, **ignore_files: str) -> Path:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    for name, text in ignore_files.items():
        (root / f".{name}").write_text(textwrap.dedent(text))
    return root


def snapshot_files(source: Path, target: Path) -> set[str]:
    snapshot_code(source, target)
    return {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}


def sdk_files(source: Path) -> set[str]:
    """What azure-ai-ml uploads for `source`, minus the folders we always leave out."""
    from azure.ai.ml._utils._asset_utils import get_ignore_file, get_upload_files_from_folder

    uploads = get_upload_files_from_folder(source, ignore_file=get_ignore_file(source))
    return {remote for _, remote in uploads
            if not set(remote.split("/")[:-1]) & set(SNAPSHOT_IGNORE)}


def test_amlignore_wins_over_gitignore_with_the_sdk_rules(tmp_path):
    src = build(tmp_path / "src", amlignore="""\
        data/
        *.ckpt
        !keep.ckpt
        """, gitignore="""\
        *.log
        src/secret.txt
        """)
    got = snapshot_files(src, tmp_path / "snap")
    assert got == sdk_files(src)
    # .gitignore is not read when .amlignore exists; both ignore files are uploaded; `!` wins
    # over `data/` too: the SDK matches files one by one (git would not re-include it)
    assert got == {".amlignore", ".gitignore", "train.py", "src/model.py", "src/secret.txt",
                   "run.log", "keep.ckpt", "sub/keep.ckpt", "sub/deep/a.csv", "data/keep.ckpt",
                   "models/keep.ckpt", "[unclosed"}
    assert not (tmp_path / "snap" / "data" / "nested").exists()  # no empty folders, as on Azure


def test_only_gitignore_is_used_when_there_is_no_amlignore(tmp_path):
    src = build(tmp_path / "src", gitignore="*.log\n/src/secret.txt\ndata\n.gitignore\n")
    got = snapshot_files(src, tmp_path / "snap")
    assert got == sdk_files(src)
    assert "run.log" not in got and "src/secret.txt" not in got and ".gitignore" not in got
    assert not any(f.startswith("data/") for f in got) and "src/model.py" in got


def test_without_ignore_file_everything_but_the_builtin_folders(tmp_path):
    src = build(tmp_path / "src")
    got = snapshot_files(src, tmp_path / "snap")
    assert got == sdk_files(src) == {f for f in TREE if not set(f.split("/")) & set(SNAPSHOT_IGNORE)}


def test_an_ignore_file_below_the_root_is_not_read(tmp_path):
    src = build(tmp_path / "src", gitignore="*.log\n")
    (src / "sub" / ".amlignore").write_text("*\n")
    got = snapshot_files(src, tmp_path / "snap")
    assert got == sdk_files(src)
    assert {"sub/.amlignore", "sub/keep.ckpt"} <= got and "run.log" not in got


@pytest.mark.parametrize("lines", [
    "/*\n!/src\n!train.py\n",          # an allow-list
    "**/*.csv\nsub/**\n!sub/deep/\n",
    "*.ckpt\n!models/\nmodels/m.ckpt\n",
    "data/**\n!data/nested/\n",
    "sub/*\n# comment\n\n   \n\\#literal\n",
    "*\n!*/\n!*.py\n",
    "d?ta/\n[ms]*/\n",
    # quirks of the SDK's copy of pathspec: `/**/` and `!/` match nothing, `[` alone is literal
    "/**/\n[unclosed\n",
    "*.ckpt\n!/\n",
])
def test_parity_with_the_sdk_on_more_patterns(tmp_path, lines):
    src = build(tmp_path / "src", amlignore=lines)
    assert snapshot_files(src, tmp_path / "snap") == sdk_files(src)


def test_symlinks_are_followed_and_matched_where_they_point_as_the_sdk_does(tmp_path):
    src = build(tmp_path / "src", amlignore="data/\n")
    outside = build(tmp_path / "outside", ["lib.py", "data/blob.bin"])
    (src / "alias").symlink_to(src / "data", target_is_directory=True)
    (src / "shared").symlink_to(outside, target_is_directory=True)
    (src / "link.py").symlink_to(src / "train.py")
    got = snapshot_files(src, tmp_path / "snap")
    assert got == sdk_files(src)
    # alias/ is data/ for the SDK: excluded; shared/data/ matches `data/` at any depth
    assert not any(f.startswith("alias/") for f in got)
    assert {"shared/lib.py", "link.py"} <= got and "shared/data/blob.bin" not in got
    assert not (tmp_path / "snap" / "link.py").is_symlink()  # a real copy


@pytest.mark.parametrize("lines, walked", [
    ("data/\n*.ckpt\n!/models/keep.ckpt\n", False),  # no `!` line can reach into data/
    ("data/\n!keep.ckpt\n", True),  # `!keep.ckpt` can re-include data/**/keep.ckpt: listed
])
def test_an_excluded_folder_is_not_walked_unless_a_negation_can_reach_it(tmp_path, monkeypatch,
                                                                        lines, walked):
    src = build(tmp_path / "src", amlignore=lines)
    scanned = []
    real_scandir = os.scandir

    def scandir(path="."):
        scanned.append(Path(os.fspath(path)))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    got = snapshot_files(src, tmp_path / "snap")
    monkeypatch.undo()
    assert got == sdk_files(src)
    assert any(p.is_relative_to(src / "data") for p in scanned) is walked
    assert (src / "sub" / "deep") in scanned


def test_the_workspace_folder_and_builtins_are_never_copied(tmp_path):
    src = build(tmp_path / "src", ["a.py", "store/x.json", "n/.ipynb_checkpoints/c.py"])
    snapshot_code(src, tmp_path / "snap", workspace_root=src / "store")
    assert sorted(p.name for p in (tmp_path / "snap").rglob("*")) == ["a.py"]


def test_an_invalid_pattern_is_a_one_line_error_naming_the_line(tmp_path):
    src = build(tmp_path / "src", ["a.py"], amlignore="*.log\nbad\\\n")
    with pytest.raises(ValidationError, match=r"\.amlignore line 2"):
        snapshot_code(src, tmp_path / "snap")


def test_a_single_file_code_is_copied_alone(tmp_path):
    src = build(tmp_path / "src", ["a.py", "b.py"], amlignore="a.py\n")
    assert sorted(os.listdir(snapshot_code(src / "a.py", tmp_path / "snap"))) == ["a.py"]


SEGMENTS = ["data", "src", "sub", "deep", "models", "*", "**", "?", "*.ckpt", "keep.ckpt",
            "[ms]*", "[!d]*", "*.py", "d*"]


@st.composite
def ignore_line(draw):
    line = "/".join(draw(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3)))
    line = draw(st.sampled_from(["", "/"])) + line + draw(st.sampled_from(["", "/"]))
    return draw(st.sampled_from(["", "!"])) + line


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(ignore_line(), min_size=1, max_size=5))
def test_random_ignore_files_match_the_sdk(lines):
    with tempfile.TemporaryDirectory() as tmp:
        src = build(Path(tmp, "src"), amlignore="\n".join(lines) + "\n")
        assert snapshot_files(src, Path(tmp, "snap")) == sdk_files(src), lines


def test_a_local_job_runs_without_the_ignored_folder(workspace):
    from azure.ai.ml import command

    from amlmagic.session import current_session

    build(workspace / "src", ["train.py", "data/big.bin", "model.ckpt", "keep.ckpt"],
                amlignore="data/\n*.ckpt\n!keep.ckpt\n")
    client = current_session().client
    job = client.jobs.create_or_update(command(
        code="./src", command='python -c "import os; print(sorted(os.listdir()))"', compute="local"))
    assert client.jobs.wait(job.name, timeout=60).status == "Completed"
    listing = ast.literal_eval(client.jobs.read_log(job.name)[0].strip().splitlines()[-1])
    assert {".amlignore", "train.py", "keep.ckpt"} <= set(listing)
    assert "data" not in listing and "model.ckpt" not in listing
