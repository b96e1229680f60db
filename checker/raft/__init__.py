"""raftmodel as something the engine and the other tools can judge: the safety properties
(named as in the paper), the cluster as an engine ``Model`` with symmetry and the
inert-message view, the presets, the bounds table, and legible text for states.

It may import raftmodel, ``checker.engine``, ``checker.errors`` and ``checker.files``.
It restates no Raft rule: every transition is raftmodel's.
"""
