"""checker: everything that explores or judges raftmodel (invariants, traces, replay,
simulation, and the CLI). It never re-implements a Raft rule: it calls raftmodel."""
