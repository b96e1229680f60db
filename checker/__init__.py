"""checker: everything that explores or judges raftmodel, and the ``raftcheck`` command.

Rooms, each a package whose docstring says what it may import (a test fails on an
import cycle between packages and on argparse below ``commands``):

  engine/     the exploration engine over any Model: BFS/DFS, workers, swarm, graph
  raft/       raftmodel as a Model: properties, symmetry and view, presets, bounds, text
  traces/     ITF traces, replay, the classic stories
  tla/        TLC on spec/Raft.tla: config, runs, cross-check, trace validation
  prove/      z3: inductive proofs, BMC, refinement
  commands/   the raftcheck verbs (the only layer that parses arguments and prints)

raftmodel knows nothing of checker; checker never re-implements a Raft rule.
"""
