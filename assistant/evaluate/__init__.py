"""Measuring the pipeline: `harness.py` runs the question set (evals/questions.jsonl) through the
assistant and scores retrieval, answers and latency; `baseline.py` is the textbook pipeline measured
beside ours."""
