import os

def init():
    pass

def run(mini_batch):
    return [os.path.basename(p) for p in mini_batch]
