"""The benchmark (issue 4): run `python tests/bench/bench.py`; see README.md beside this file."""
