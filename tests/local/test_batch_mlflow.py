"""MLflow no-code batch deployments (../shared/azureml-semantics-2.md 2.5): no scoring script, the
pyfunc model's predict() called once per file, rows `row,prediction,file` for tables and
`prediction,file` for images, comma-separated (our rule); nested folders are not read."""

from __future__ import annotations

import pytest

pd = pytest.importorskip("pandas")
pyfunc = pytest.importorskip("mlflow.pyfunc")

from azure.ai.ml.entities import BatchEndpoint, Model, ModelBatchDeployment  # noqa: E402

from amlmagic.local.client import LocalMLClient  # noqa: E402

MODEL_CODE = """\
import mlflow.pyfunc
from mlflow.models import set_model

class Summer(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        if hasattr(model_input, "sum") and hasattr(model_input, "columns"):
            return model_input.sum(axis=1)
        return [int(model_input.sum())]

set_model(Summer())
"""


def test_tables_and_images_are_scored_without_a_script(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    (tmp_path / "model_code.py").write_text(MODEL_CODE)
    pyfunc.save_model(str(tmp_path / "summer"), python_model=str(tmp_path / "model_code.py"))
    data = tmp_path / "data"
    (data / "nested").mkdir(parents=True)
    pd.DataFrame({"a": [1, 2, 3], "b": [10, 20, 30]}).to_csv(data / "t.csv", index=False)
    Image.new("L", (2, 2), color=7).save(data / "seven.png")
    (data / "nested" / "ignored.txt").write_text("not read: nested folders are not traversed")

    client = LocalMLClient(tmp_path / ".amlmagic")
    client.models.create_or_update(Model(name="summer", path=str(tmp_path / "summer"), type="mlflow_model"))
    client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="ep-mlflow")).result()
    client.batch_deployments.begin_create_or_update(ModelBatchDeployment(
        name="nocode", endpoint_name="ep-mlflow", compute="local", model="azureml:summer@latest")).result()
    from azure.ai.ml import Input

    started = client.batch_endpoints.invoke("ep-mlflow", deployment_name="nocode",
                                            input=Input(type="uri_folder", path=str(data)))
    job = client.jobs.wait(started.name, timeout=180)
    assert job.status == "Completed", job.properties.get("error")
    client.jobs.download(job.name, download_path=tmp_path / "dl", output_name="score")
    lines = sorted((tmp_path / "dl" / "named-outputs" / "score" / "predictions.csv").read_text().splitlines())
    assert lines == sorted(["0,11,t.csv", "1,22,t.csv", "2,33,t.csv", "28,seven.png"])
