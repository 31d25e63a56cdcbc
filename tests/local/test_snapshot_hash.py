"""The content hash of a code snapshot is azure-ai-ml's `hash_sha256` of the same files, on random
folders; a job's `code_hash` is the hash Azure would record for its code folder (ignore files
applied), and None for a job without code."""

from __future__ import annotations

import random
import sys

from amlmagic.local.client import LocalMLClient
from amlmagic.local.snapshots import snapshot_hash


def _random_tree(root, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 12)):
        depth = rng.randint(0, 3)
        parts = [rng.choice(["a", "B", "src", "Data", "x_1", "Ünï"]) for _ in range(depth)]
        name = rng.choice(["f", "F", "main", "Readme", "z"]) + rng.choice([".py", ".txt", "", ".MD"])
        path = root.joinpath(*parts, name)
        if path.parent.exists() and not path.parent.is_dir():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_dir():
            path.write_bytes(rng.randbytes(rng.randint(0, 3000)))


def test_snapshot_hash_is_azure_ai_mls_content_hash(tmp_path):
    from azure.ai.ml._utils._asset_utils import get_content_hash

    rng = random.Random(16)
    for n in range(40):
        folder = tmp_path / f"tree{n}"
        folder.mkdir()
        _random_tree(folder, rng)
        assert snapshot_hash(folder) == get_content_hash(str(folder)), n
    assert snapshot_hash(tmp_path / "empty-does-not-exist") is None


def test_a_jobs_code_hash_is_what_azure_would_record_for_its_code(tmp_path):
    from azure.ai.ml import command
    from azure.ai.ml._utils._asset_utils import get_content_hash, get_ignore_file

    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('hi')\n")
    (src / "notes.log").write_text("not uploaded\n")
    (src / ".amlignore").write_text("*.log\n")
    client = LocalMLClient(tmp_path / ".amlmagic")
    job = client.jobs.create_or_update(command(command=f"{sys.executable} train.py", code=str(src)))
    bare = client.jobs.create_or_update(command(command="echo no code"))
    expected = get_content_hash(str(src), get_ignore_file(str(src)))
    assert client.jobs.code_hash(job.name) == expected
    assert client.jobs.code_hash(bare.name) is None
    (src / "train.py").write_text("print('changed after submit')\n")  # the snapshot is what ran
    assert client.jobs.code_hash(job.name) == expected
    client.jobs.wait(job.name, timeout=60)
    client.jobs.wait(bare.name, timeout=60)
