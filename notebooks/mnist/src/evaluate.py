"""Evaluate a trained model on the MNIST test images: accuracy overall and per digit, written
as report.json to --report (the training pipeline's evaluate step) and logged with MLflow."""

import argparse
import json
import os
import sys

from score import find_model_folder, load_model
from train import evaluate, find_data_root, load_mnist


def main(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate an MNIST model on the test images")
    parser.add_argument("--data", required=True, help="folder containing MNIST/raw/")
    parser.add_argument("--model", required=True, help="the folder train.py wrote")
    parser.add_argument("--report", required=True, help="folder report.json is written to")
    args = parser.parse_args(argv)
    images, labels = load_mnist(find_data_root(args.data), train=False)
    net = load_model(find_model_folder(args.model))
    report = {"test_images": len(labels), "accuracy": round(evaluate(net, images, labels), 4), "per_digit": {}}
    for digit in range(10):
        mask = labels == digit
        if mask.any():
            report["per_digit"][str(digit)] = round(evaluate(net, images[mask], labels[mask]), 4)
    os.makedirs(args.report, exist_ok=True)
    with open(os.path.join(args.report, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(f"test accuracy {report['accuracy']:.4f} on {report['test_images']} images", flush=True)
    try:
        import mlflow

        mlflow.log_metric("test_accuracy", report["accuracy"])
    except ImportError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
