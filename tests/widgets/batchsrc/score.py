"""A scoring script for the monitor tests (one worker; attempts counted in files beside
$BATCH_GATE, so a restarted worker counts on): the 2nd attempt raises (the 2nd mini-batch is
retried), the 5th (the 4th mini-batch) waits for the file $BATCH_GATE, the 6th (the last
mini-batch) answers one item short (a failed mini-batch)."""

import os
import time


def init():
    global gate
    gate = os.environ["BATCH_GATE"]


def run(mini_batch):
    attempt = len([n for n in os.listdir(os.path.dirname(gate)) if n.startswith("attempt-")])
    open(os.path.join(os.path.dirname(gate), f"attempt-{attempt}"), "w").close()
    names = [os.path.basename(p) for p in mini_batch]
    if attempt == 1:
        raise RuntimeError("a passing failure: the retry scores this mini-batch")
    if attempt == 4:
        while not os.path.exists(gate):
            time.sleep(0.05)
    if attempt == 5:
        return names[:1]
    return names
