"""Shared test set-up."""

import os

# The app's warm-up would train the default models of scenes 3–5 in a background thread of the test process
# (a minute of both cores); the tests train their own small models, and test_warmup checks the training warm-up.
os.environ.setdefault("SCOREDEMO_WARM_MODELS", "0")
