"""The MNIST notebook's cells, part 2: serving the model online, and what it answered (sections 7-8)."""

from notebook_cells import code, md

__all__ = ["SERVE_CELLS"]

SERVE_CELLS = [
    md("""
## 7. Deploy to an online endpoint (blue)

An **online endpoint** is a stable scoring URL with key authentication; **deployments** behind it
each run a model with a scoring script (`mnist/src/score.py`: `init()` loads the model, `run()`
answers `{"predictions": [...], "probabilities": [...]}`). `--all-traffic` sends every request to
the new deployment. Locally the endpoint is an HTTP server on 127.0.0.1 that speaks Azure's
scoring contract. *MLOps level 3: deployment from the registry by a repeatable command.*
"""),
    code("""
%aml online-endpoint create -f mnist/endpoint.yml
"""),
    code("""
%aml online-deployment create -f mnist/deployment-blue.yml --all-traffic --set model=azureml:mnist-cnn:{blue_model.version}
"""),
    md("""
Call it with a few test digits, as `az ml online-endpoint invoke --request-file` does:
"""),
    code("""
import torchvision

test_set = torchvision.datasets.MNIST("mnist/data", train=False, download=False)
sample_digits = test_set.targets[:8].tolist()
with open("mnist/sample-request.json", "w") as f:
    json.dump({"data": test_set.data[:8].tolist()}, f)
print("digits in the request:", sample_digits)
"""),
    code("""
invoke_answer = %aml online-endpoint invoke -n {ENDPOINT} --request-file mnist/sample-request.json
print("the endpoint answered:", invoke_answer["predictions"])
"""),
    md("""
The endpoint's scoring URI and key are all a client needs. The next cell scores the whole test set
through the endpoint (in batches of 1,000 images) to check the deployed model, not just the file
the training wrote:
"""),
    code("""
import urllib.request

endpoint = %aml online-endpoint show -n {ENDPOINT}
scoring_uri = endpoint.scoring_uri
keys = %aml online-endpoint get-credentials -n {ENDPOINT}


def score(images, deployment=None):
    \"\"\"POST images to the endpoint; (answer, the deployment that answered).\"\"\"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {keys.primary_key}"}
    if deployment:
        headers["azureml-model-deployment"] = deployment
    request = urllib.request.Request(scoring_uri, json.dumps({"data": images}).encode(), headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read()), response.headers.get("azureml-model-deployment")


correct = 0
for start in range(0, len(test_set), 1000):
    answer, _ = score(test_set.data[start:start + 1000].tolist(), deployment="blue")
    correct += sum(int(p == t) for p, t in zip(answer["predictions"], test_set.targets[start:start + 1000].tolist()))
endpoint_accuracy = correct / len(test_set)
print(f"blue on the {len(test_set)} test images: {endpoint_accuracy:.2%}")
"""),
    md("""
Or draw a digit yourself: the endpoint tester sends what you draw (28x28, like MNIST) and shows
the answer. In a headless run it shows its static fallback.
"""),
    code("""
%aml online-endpoint test -n {ENDPOINT}
"""),
    md("""
## 8. Safe rollout: a second model as green, on 10% of the traffic

A new model is rolled out beside the current one: here the model of the first training job
(section 4) becomes `green`. It gets no traffic when created; the endpoint's traffic split then
sends 10% of the requests to it, so its answers can be watched before it takes over (or is
deleted). *MLOps level 3: staged rollout with a way back; at level 4 the switch would follow
production metrics automatically.*
"""),
    code("""
green_model = %aml model create -f mnist/model.yml -p azureml://jobs/{train_job.name}/outputs/model/paths/
green_model
"""),
    code("""
%aml online-deployment create -f mnist/deployment-green.yml --set model=azureml:mnist-cnn:{green_model.version}
"""),
    code("""
%aml online-endpoint update -n {ENDPOINT} --traffic "blue=90 green=10"
"""),
    md("""
Each answer names the deployment that produced it in the `azureml-model-deployment` response
header. Sending 100 requests shows the split:
"""),
    code("""
from collections import Counter

served_by = Counter()
for i in range(TRAFFIC_REQUESTS):
    _, deployment = score(test_set.data[i:i + 1].tolist())
    served_by[deployment] += 1
traffic_observed = dict(sorted(served_by.items()))
print(f"{TRAFFIC_REQUESTS} requests answered by: {traffic_observed}")
"""),
    md("""
### What green answered: production data

`mnist/deployment-green.yml` has a `data_collector` section: payload logging of each `request`
and `response`. The endpoint writes them as JSON lines in the workspace's blob store, in Azure's
layout (`modelDataCollector/<endpoint>/<deployment>/<collection>/<yyyy>/<MM>/<dd>/<HH>/`), and
registers each collection as a data asset. Every line carries the request's `x-request-id`, the
deployment and the model version that answered, so any answer traces back to its model, and
through the model's lineage (section 10) to the job and the data that made it. *MLOps level 4:
production data, the input of monitoring and of retraining on what the model really sees.*
"""),
    code("""
import glob
import shutil


def collected_responses():
    shutil.rmtree("mnist/collected", ignore_errors=True)
    %aml data download -n {ENDPOINT}-green-response -v 1 --download-path mnist/collected
    return [json.loads(line) for path in sorted(glob.glob("mnist/collected/**/*.jsonl", recursive=True))
            for line in open(path)]


# The endpoint appends collected lines a moment after answering (on Azure: minutes): read until
# every answer of green's is there.
deadline = time.monotonic() + 30
while len(collected := collected_responses()) < traffic_observed.get("green", 0) and time.monotonic() < deadline:
    time.sleep(0.2)
print(f"green answered {traffic_observed.get('green', 0)} requests; collected responses: {len(collected)}")
print(json.dumps({key: collected[0][key] for key in ("correlationid", "modelname", "modelversion", "source")}, indent=1))
"""),
]
