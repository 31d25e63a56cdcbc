"""The MNIST notebook's cells, part 3: scoring the test set as files with a batch endpoint
(section 9)."""

from notebook_cells import code, md

__all__ = ["BATCH_CELLS"]

BATCH_CELLS = [
    md("""
## 9. Batch scoring: the test set as image files

An online endpoint answers one request at a time; a **batch endpoint** scores a whole folder of
files as a job. Its deployment's scoring script (`mnist/src/batch_score.py`) has Azure's batch
contract: `init()` once per worker process, `run(mini_batch)` with a list of file paths, one
answer per file; with `output_action: append_row` the answers land in `predictions.csv` of the
job's `score` output. The deployment (`mnist/batch-deployment.yml`) runs two workers on
mini-batches of 200 files. Its environment adds what Azure's batch runtime needs
(`azureml-core`, `azureml-dataset-runtime`); a local run skips those two and says so in the log.
*MLOps level 3: the registered model deployed a second way, by the same repeatable commands.*
"""),
    code("""
%aml environment create -f mnist/batch-environment.yml
%aml compute create -n batch-cluster --type amlcompute --min-instances 0 --max-instances 1
%aml batch-endpoint create -f mnist/batch-endpoint.yml
batch_deployment = %aml batch-deployment create -f mnist/batch-deployment.yml --set-default --set model=azureml:mnist-cnn:{blue_model.version}
batch_deployment
"""),
    md("""
The test images become 28x28 PNG files, the input a batch endpoint usually gets. `invoke` starts
the job; `--stream` follows it here, with the mini-batches done, failed and pending as they go.
"""),
    code("""
from torchvision.io import write_png

os.makedirs("mnist/batch-input", exist_ok=True)
for index in range(len(test_set)):
    write_png(test_set.data[index].unsqueeze(0), f"mnist/batch-input/{index:05d}.png")
print(f"{len(test_set)} PNG files in mnist/batch-input")
"""),
    code("""
batch_job = %aml batch-endpoint invoke -n mnist-batch --input mnist/batch-input --input-type uri_folder --stream
"""),
    md("""
The predictions are the job's `score` output, downloaded as `az ml job download --output-name
score` does. Each row is `<file> <digit> <probability>`, space-separated with no header, so it
reads the way Microsoft's batch examples read it:
"""),
    code("""
import csv

%aml job download -n {batch_job.name} --output-name score --download-path mnist/batch-output
with open("mnist/batch-output/named-outputs/score/predictions.csv") as f:
    batch_rows = list(csv.reader(f, delimiter=" "))
labels = test_set.targets.tolist()
batch_accuracy = sum(int(digit) == labels[int(file[:5])] for file, digit, _ in batch_rows) / len(batch_rows)
print(f"batch job {batch_job.name}: {len(batch_rows)} files scored, accuracy {batch_accuracy:.2%}")
"""),
]
