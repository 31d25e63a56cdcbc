"""Fits y = slope * x to a few points by least squares and saves the slope as the model."""
import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--points", default="[[1, 2.1], [2, 3.9], [3, 6.0]]")
parser.add_argument("--model-dir", default="outputs/model")
args = parser.parse_args()

points = json.loads(args.points)
slope = sum(x * y for x, y in points) / sum(x * x for x, _ in points)
print(f"slope {slope:.4f}")
os.makedirs(args.model_dir, exist_ok=True)
with open(os.path.join(args.model_dir, "slope.json"), "w") as f:
    json.dump({"slope": round(slope, 4)}, f)
