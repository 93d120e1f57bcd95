"""The index stage: passages in, an index generation on disk out, and opened again for reading.

`build.py` (the build: embed, write Chroma and BM25, publish a generation), `generations.py` (CURRENT,
reader pins, checksums, clean-up), `snapshot.py` (opening a generation to read: the `Snapshot`),
`embed.py` (the embedders), `store.py` (Chroma), `lexical.py` (BM25 and its tokenizer, the thesaurus)."""
