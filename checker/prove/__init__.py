"""z3 proofs about raftmodel: inductive invariants for unbounded terms, tied to raftmodel.

Modules, one job each:

  symbolic     term sets and logs in two modes (unbounded arrays / bounded, quantifier-free)
  induction    Init => Inv and Inv /\\ A => Inv' per action instance; CTIs; vacuity
  election     the message-passing election of raftmodel and its 8 strengthening conjuncts
  loglevel     the log-level abstraction (atomic elections) and its lemmas
  crosscheck   election encoding vs raftmodel: successor equality on concrete states
  abstraction  the log-level abstract state and alpha, the one map from raftmodel to it
  refinement   raftmodel refines the log-level model, step by step (a forward simulation)
  bmc          bounded symbolic search for shallow mutant bugs, concretized to raftmodel
  encodings    the encodings by name, and the bounded modes their CTIs are shown in

See docs/proofs.md.
"""
