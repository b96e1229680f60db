------------------------------- MODULE MCRaft -------------------------------
(***************************************************************************)
(* Model-checking wrapper of Raft: what TLC needs and the protocol does    *)
(* not. The bounds are Raft's own constants (guards on the actions, with   *)
(* the counters in the state: no VIEW, which would be unsound here); the   *)
(* cfg files (MCRaft-<preset>.cfg, or written by `raftcheck tlc`) give     *)
(* their values.                                                           *)
(***************************************************************************)
EXTENDS Raft, TLC

\* Servers are interchangeable: with Server a set of model values, TLC keeps
\* one state per orbit (SYMMETRY Perms in the cfg).
Perms == Permutations(Server)

\* The bounded model's consequences (docs/actions.md, Bounds), checked as a
\* type-style sanity invariant.
BoundsOK ==
    /\ \A i \in Server : currentTerm[i] <= MaxTerm /\ Len(log[i]) <= MaxLogLen
    /\ restarts <= MaxRestarts
    /\ requests <= MaxClientRequests
=============================================================================
