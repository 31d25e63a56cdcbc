"""A scoring script for the monitor tests: the mini-batch holding f9.txt waits for the gate file
(GATE), so the job stays part-way done until the test opens it."""
import os
import time


def init():
    pass


def run(mini_batch):
    names = [os.path.basename(p) for p in mini_batch]
    while "f9.txt" in names and not os.path.exists(os.environ["GATE"]):
        time.sleep(0.05)
    return names
