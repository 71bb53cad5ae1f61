"""Documents in, cited passages out: parsing, chunking, text analysis and the persistent BM25 library.

Nothing in this package imports Qt or llama.cpp (checked by tests/test_architecture.py).
"""
