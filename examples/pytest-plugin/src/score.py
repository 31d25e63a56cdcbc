"""The online scoring script: y = slope * x for each x in {"data": [...]}."""
import json
import os


def init():
    global slope
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "slope.json")) as f:
        slope = json.load(f)["slope"]


def run(raw_data):
    return {"prediction": [round(slope * x, 4) for x in json.loads(raw_data)["data"]]}
