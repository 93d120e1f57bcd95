"""The ONNX embedder gives sentence-transformers' own vectors for all-MiniLM-L6-v2."""

import numpy as np

from assistant.index.embed import get_embedder


def test_onnx_matches_sentence_transformers(shared_corpus):
    text = (shared_corpus / "iccpr-1966.md").read_text()
    samples = [t.strip() for t in text.split("\n\n") if t.strip()][:40] + ["privacy", "Does Article 73 require judicial oversight?"]
    onnx = get_embedder("minilm-onnx").embed(samples)
    reference = get_embedder("minilm-st").embed(samples)
    assert onnx.shape == reference.shape == (len(samples), 384)
    assert float(np.abs(onnx - reference).max()) < 1e-4
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
