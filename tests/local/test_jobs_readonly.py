"""A job's inputs are read-only paths, as Azure's ro_mount makes them: writing to a registered
data asset or model from a job fails and leaves the registered version as it was, while the
job's outputs stay writable."""

from __future__ import annotations

import pytest

from amlmagic.local.jobs.readonly import namespaces_available
from tests.local.test_jobs import client, log_of, submit, write  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(not namespaces_available(),
                                reason="this machine has no mount namespaces: inputs are read in place")

TRY_WRITES = """\
import os, sys
data, model, single, out = sys.argv[1:5]
for what, path, mode in (("folder", os.path.join(data, "x.csv"), "a"), ("new file", os.path.join(data, "new.txt"), "w"),
                         ("model", os.path.join(model, "model.txt"), "w"), ("uri_file", single, "w")):
    try:
        with open(path, mode) as f:
            f.write("changed")
        print(what, "written")
    except OSError as e:
        print(what, "refused:", e.strerror)
print("reads", open(os.path.join(data, "x.csv")).read().strip(), open(single).read().strip())
with open(os.path.join(out, "result.txt"), "w") as f:
    f.write("outputs stay writable")
print("env", sorted(k for k in os.environ if k.startswith("AMLMAGIC_JOB")))
"""


def test_writing_to_inputs_is_refused_and_the_registered_assets_stay_as_they_were(client, tmp_path):  # noqa: F811
    from azure.ai.ml.entities import Data, Model

    write(tmp_path, {"d/x.csv": "1,2", "m/model.txt": "weights", "one.txt": "single", "src/try_writes.py": TRY_WRITES})
    client.data.create_or_update(Data(name="table", path=str(tmp_path / "d"), type="uri_folder"))
    client.models.create_or_update(Model(name="net", path=str(tmp_path / "m"), type="custom_model"))
    job = submit(client, tmp_path, """\
        code: src
        command: python try_writes.py ${{inputs.data}} ${{inputs.model}} ${{inputs.single}} ${{outputs.out}}
        inputs:
          data: {type: uri_folder, path: "azureml:table@latest", mode: ro_mount}
          model: {type: custom_model, path: "azureml:net:1", mode: download}
          single: {type: uri_file, path: ./one.txt, mode: direct}
        outputs:
          out: {type: uri_folder}
        """)
    assert client.jobs.wait(job.name, timeout=60).status == "Completed", log_of(client, job.name)
    log = log_of(client, job.name)
    for what in ("folder", "new file", "model", "uri_file"):
        assert f"{what} refused: Read-only file system" in log, log
    assert "reads 1,2 single" in log
    assert "env []" in log  # the wrapper's variables do not reach the command
    assert (client.jobs.local_dir(job.name) / "outputs" / "out" / "result.txt").read_text() == "outputs stay writable"
    # what the registry holds is untouched, and the user's own file too
    back = client.data.download("table", version="1", download_path=tmp_path / "back")
    assert sorted(p.name for p in back.iterdir()) == ["x.csv"]
    assert (back / "x.csv").read_text() == "1,2"
    assert (client.models.local_path("net", "1") / "model.txt").read_text() == "weights"
    assert (tmp_path / "one.txt").read_text() == "single"


def test_a_job_without_inputs_runs_as_before(client, tmp_path):  # noqa: F811
    job = submit(client, tmp_path, "command: echo plain\n")
    assert client.jobs.wait(job.name, timeout=60).status == "Completed"
    assert log_of(client, job.name) == "plain\n"
