"""The TLA+ side of raftcheck: spec/Raft.tla run by TLC, tied to raftmodel.

``jar`` finds TLC and Java, ``cfg`` writes model configs, ``run`` runs TLC and parses
its output, ``values``/``dump`` read TLC's values and state dumps, ``state`` maps TLA+
states to raftmodel ``ClusterState`` and back, ``trace`` turns a TLC counterexample
into an ITF trace, ``crosscheck`` compares the two state spaces as sets, ``validate``
asks TLC whether an ITF trace is a behavior of the spec. The verbs are in
``checker.commands.tla``.
"""
