"""Traces: the ITF format (the only code that knows its JSON), replay of a trace on
raftmodel, and the classic stories of traces/examples/.

It may import raftmodel, ``checker.raft``, ``checker.engine``, ``checker.errors`` and
``checker.files``.
"""
