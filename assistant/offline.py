"""Offline by construction: set before any library that could reach a hub or phone home is imported."""

import os

_SWITCHES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",  # Chroma's posthog telemetry
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # transformers' "Loading weights" bars follow this switch
    # onnxruntime's native 1DS telemetry (OneCollector over HTTPS): a process that embeds for a while
    # resolves its host (12 DNS lookups in 40 s, seen under strace). Only this switch, read when the
    # library loads, stops it; `onnxruntime.disable_telemetry_events()` did not.
    "ORT_DISABLE_TELEMETRY": "1",
}


def enforce() -> None:
    for key, value in _SWITCHES.items():
        os.environ[key] = value
