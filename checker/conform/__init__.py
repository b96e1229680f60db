"""Conformance testing of any Raft implementation against raftmodel (docs/conformance.md).

``suite`` builds scenarios from the explored state graph (every outcome class and
abstract per-node edge, and the shortest counterexample of every known-bug variant);
``protocol`` is the language-neutral JSON-lines protocol's data and validation;
``adapter`` the Python in-process API, the reference adapter and ``serve``; ``runner``
drives an implementation through every scenario and says where it first diverges;
``nodecov`` measures the branch coverage of raftmodel/node.py that the suite reaches.

May import ``raftmodel``, ``checker.engine``, ``checker.raft``, ``checker.traces``,
``checker.errors`` and ``checker.files``.
"""
