"""The exploration engine: explicit-state search (BFS, DFS, workers), random walks and
swarm testing, state-graph export, and the compact stores they keep states in.

It explores any ``model.Model`` and knows no protocol. It may import ``checker.errors``
and ``checker.files`` only: never raftmodel, never another checker package.
"""
