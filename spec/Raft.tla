-------------------------------- MODULE Raft --------------------------------
(***************************************************************************)
(* Raft leader election and log replication (Ongaro & Ousterhout, 2014),   *)
(* written to reach exactly the states of the Python reference model       *)
(* raftmodel (docs/actions.md is the contract). `raftcheck crosscheck`     *)
(* compares the two state spaces as sets; a difference is a test failure.  *)
(*                                                                         *)
(* NOTES, differences from Ongaro's raft.tla:                              *)
(*  - Actions are the harness events of raftmodel: Timeout, SendAppend-    *)
(*    Entries, Receive, ClientRequest, Restart, and (bag network only)     *)
(*    Drop and Duplicate. Receive runs the receiver's whole handler in one *)
(*    atomic step, replies included.                                       *)
(*  - The network is a SET of every message ever sent (delivery leaves it, *)
(*    so loss, duplication and reordering are one rule) or, with          *)
(*    Network = "bag", a function message -> copies, as in raft.tla.       *)
(*  - Responses carry AppendEntriesResponse.matchIndex; stale messages are *)
(*    fenced: a stale request gets a refusal carrying the receiver's term, *)
(*    a stale response is ignored (Section 5.1).                           *)
(*  - Bounds are guards (MaxTerm on Timeout, MaxLogLen and                 *)
(*    MaxClientRequests on ClientRequest, MaxRestarts on Restart) and the  *)
(*    two counters are state: no VIEW drops them.                          *)
(*  - MaxBatch >= 1 lets a leader send any 1..MaxBatch entries from        *)
(*    nextIndex (each size its own step), as real leaders batch; 0 sends   *)
(*    the whole suffix, as Ongaro's spec does.                             *)
(*  - `elections` and `committed` are history variables, read only by the  *)
(*    invariants (as in MongoStaticRaft).                                  *)
(*  - RefusalHint = 1 (a model option: defined below as 0, set by a cfg's  *)
(*    "RefusalHint = 1") makes a refusal carry the follower's last log     *)
(*    index and the leader jump nextIndex with it (Section 5.3), as        *)
(*    canonical/raft and etcd do; 0 is Figure 2's one-entry decrement.     *)
(*  - Variant selects a known-bug variant, named as in raftmodel/mutants.py;*)
(*    "raft" is the correct protocol. Each variant changes one rule.       *)
(*                                                                         *)
(* Node state is handled as a record (Node(i)) by pure operators, one per  *)
(* event, that return the new record and the messages sent; Update(i, ..)  *)
(* then writes the record back, sends, and records the history. This is    *)
(* the shape of raftmodel.node.step and cluster._with_node, so the two can *)
(* be compared rule by rule.                                               *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Server,             \* the servers
    Nil,                \* votedFor when no vote was cast (0 in raftmodel)
    MaxTerm,            \* Timeout guard: currentTerm < MaxTerm
    MaxLogLen,          \* ClientRequest guard: Len(log) < MaxLogLen
    MaxRestarts,        \* Restart guard, over the whole cluster
    MaxClientRequests,  \* ClientRequest guard, over the whole cluster
    Values,             \* the values clients submit
    MaxCopies,          \* bag network only: copies of one message in flight
    MaxBatch,           \* entries per AppendEntries; 0: the whole suffix
    Network,            \* "set" or "bag"
    Variant             \* "raft" or a known-bug variant of raftmodel/mutants.py

\* A model option, not a CONSTANT, so that the cfgs written before it need no line:
\* a cfg sets "RefusalHint = 1" to turn it on (raftmodel's Bounds.refusal_hint).
RefusalHint == 0

VARIABLES
    currentTerm, votedFor, log,         \* persistent (Figure 2)
    role, commitIndex, votesGranted,    \* volatile
    nextIndex, matchIndex,              \* volatile, leaders
    messages,                           \* the network
    elections,                          \* history: every [term, leader] elected
    committed,                          \* history: every entry ever committed
    restarts, requests                  \* counters for the bounds

serverVars == <<currentTerm, votedFor, log, role, commitIndex, votesGranted,
                nextIndex, matchIndex>>
vars == <<currentTerm, votedFor, log, role, commitIndex, votesGranted,
          nextIndex, matchIndex, messages, elections, committed, restarts,
          requests>>

Follower == "Follower"
Candidate == "Candidate"
Leader == "Leader"

RequestVote == "RequestVote"
RequestVoteResponse == "RequestVoteResponse"
AppendEntries == "AppendEntries"
AppendEntriesResponse == "AppendEntriesResponse"

Min(a, b) == IF a < b THEN a ELSE b
Max(a, b) == IF a > b THEN a ELSE b
MaxOf(S) == CHOOSE x \in S : \A y \in S : y <= x

-----------------------------------------------------------------------------
(* Logs (raftmodel/log.py) *)

LastTerm(lg) == IF Len(lg) = 0 THEN 0 ELSE lg[Len(lg)].term

\* The term of the entry at index k, 0 for the empty prefix; k <= Len(lg).
TermAt(lg, k) == IF k = 0 THEN 0 ELSE lg[k].term

\* The first k entries (all of them when the log is shorter).
Prefix(lg, k) == SubSeq(lg, 1, Min(k, Len(lg)))

\* Section 5.4.1: a log ending in (lt, li) is at least as up-to-date as lg.
UpToDate(lt, li, lg) ==
    \/ lt > LastTerm(lg)
    \/ lt = LastTerm(lg) /\ li >= Len(lg)

\* Section 5.3: lg holds an entry at prevLogIndex with prevLogTerm.
Matches(lg, pi, pt) ==
    \/ pi = 0 /\ pt = 0
    \/ 1 <= pi /\ pi <= Len(lg) /\ lg[pi].term = pt

\* Figure 2, AppendEntries receiver steps 3-4: delete a conflicting suffix and
\* append what is new. Entries that already match, and anything after them, are
\* kept: a stale or repeated AppendEntries never truncates.
Merge(lg, pi, ents) ==
    LET diff == {k \in 1..Len(ents) :
                    pi + k > Len(lg) \/ lg[pi + k].term # ents[k].term}
    IN  IF diff = {} THEN lg
        ELSE LET k == CHOOSE x \in diff : \A y \in diff : x <= y
                 rest == SubSeq(ents, k, Len(ents))
             IN  IF pi + k > Len(lg) THEN lg \o rest
                 ELSE SubSeq(lg, 1, pi + k - 1) \o rest

\* The buggy alternative: replace everything after prevLogIndex.
Overwrite(lg, pi, ents) == Prefix(lg, pi) \o ents

-----------------------------------------------------------------------------
(* The rules that variants replace (raftmodel/rules.py, raftmodel/mutants.py) *)

Quorum ==
    IF Variant = "quorum_off_by_one" THEN Cardinality(Server) \div 2
    ELSE Cardinality(Server) \div 2 + 1

\* Section 5.2: at most one vote per term.
CanVote(voted, cand) ==
    IF Variant = "double_vote" THEN TRUE ELSE voted \in {Nil, cand}

\* Section 5.4.1: the candidate's log is at least as up-to-date as ours.
LogOk(lt, li, lg) ==
    CASE Variant = "no_log_check" -> TRUE
      [] Variant = "length_only_log_check" -> li >= Len(lg)
      [] OTHER -> UpToDate(lt, li, lg)

\* Section 5.1: messages from a lower term are fenced off.
AcceptsStale(m) ==
    \/ Variant = "stale_append_accepted" /\ m.mtype = AppendEntries
    \/ Variant = "stale_vote_counted" /\ m.mtype = RequestVoteResponse

\* Section 5.4.2: only entries of the leader's term are committed by counting.
CommitOk(entryTerm, term) ==
    IF Variant = "figure8_commit" THEN TRUE ELSE entryTerm = term

Consistent(lg, pi, pt) ==
    IF Variant = "no_consistency_check" THEN TRUE ELSE Matches(lg, pi, pt)

MergeLog(lg, pi, ents) ==
    CASE Variant = "truncate_on_stale_append" -> Overwrite(lg, pi, ents)
      [] Variant = "truncate_after_batch" ->
             IF Len(ents) > 0 THEN Overwrite(lg, pi, ents) ELSE lg
      [] OTHER -> Merge(lg, pi, ents)

\* Where a leader appends a client's entry: after its last entry.
AppendAt(lastIndex, ci) ==
    IF Variant = "append_over_uncommitted" THEN ci ELSE lastIndex

\* What survives a restart of currentTerm and votedFor (Figure 2).
PersistTerm(t) == IF Variant = "term_not_persisted" THEN 0 ELSE t
PersistVote(v) == IF Variant = "votedfor_not_persisted" THEN Nil ELSE v

\* Figure 2, AppendEntries receiver step 5: once the log check passed (ok),
\* commitIndex = Min(leaderCommit, index of last new entry), never backwards.
FollowerCommit(ci, lc, lastNew, ok) ==
    CASE Variant = "commit_decreases" -> IF ok THEN Min(lc, lastNew) ELSE ci
      [] Variant = "commit_before_check" -> IF lc > ci THEN Max(ci, Min(lc, lastNew)) ELSE ci
      [] Variant = "commit_past_last_new" -> IF ok /\ lc > ci THEN lc ELSE ci
      [] OTHER -> IF ok /\ lc > ci THEN Max(ci, Min(lc, lastNew)) ELSE ci

\* Figure 2, Rules for Leaders: matchIndex after a success reply; it only grows.
MatchUpdate(mi, replied, lastIndex) ==
    CASE Variant = "match_from_reply" -> replied
      [] Variant = "match_from_own_log" -> lastIndex
      [] OTHER -> Max(mi, replied)

\* Where a leader retries after a refusal (raftmodel.rules.retry_from): Figure 2's
\* decrement or, with the hint (Section 5.3), just past the follower's last entry
\* when that is lower; never above ni - 1.
RetryFrom(ni, h) == IF RefusalHint = 1 THEN Min(ni - 1, h + 1) ELSE ni - 1

\* Figure 2, Rules for Leaders: nextIndex after a refusal, never to matchIndex or below.
NextOnRefusal(ni, mi, h) ==
    IF Variant = "next_below_match" THEN Max(RetryFrom(ni, h), 1)
    ELSE Max(RetryFrom(ni, h), mi + 1)

\* Section 5.1: a message of a higher term makes the receiver adopt the term
\* (if not, it steps down in its own term and drops the message).
AdoptsHigher(m) ==
    IF Variant = "higher_term_not_adopted"
    THEN m.mtype \in {RequestVote, AppendEntries} ELSE TRUE

\* Section 5.2: the votes a candidate holds when its election starts.
CampaignVotes(votes, i) ==
    IF Variant = "votes_kept_across_terms" THEN votes \cup {i} ELSE {i}

-----------------------------------------------------------------------------
(* Messages and the network (raftmodel/messages.py, raftmodel/network.py) *)

RV(i, j, t, li, lt) ==
    [mtype |-> RequestVote, source |-> i, dest |-> j, term |-> t,
     lastLogIndex |-> li, lastLogTerm |-> lt]
RVR(i, j, t, granted) ==
    [mtype |-> RequestVoteResponse, source |-> i, dest |-> j, term |-> t,
     voteGranted |-> granted]
AE(i, j, t, pi, pt, ents, lc) ==
    [mtype |-> AppendEntries, source |-> i, dest |-> j, term |-> t,
     prevLogIndex |-> pi, prevLogTerm |-> pt, entries |-> ents,
     leaderCommit |-> lc]
AER(i, j, t, ok, mi, h) ==
    [mtype |-> AppendEntriesResponse, source |-> i, dest |-> j, term |-> t,
     success |-> ok, matchIndex |-> mi, lastLogIndex |-> h]

\* The distinct messages that can be delivered.
InFlight == IF Network = "set" THEN messages ELSE DOMAIN messages

Copies(net, m) ==
    IF Network = "set" THEN (IF m \in net THEN 1 ELSE 0)
    ELSE IF m \in DOMAIN net THEN net[m] ELSE 0

\* Add one copy of each message of the set S.
Send(net, S) ==
    IF Network = "set" THEN net \cup S
    ELSE [m \in DOMAIN net \cup S |-> Copies(net, m) + (IF m \in S THEN 1 ELSE 0)]

\* Delivery: under SET the message stays; under BAG one copy is removed.
Consume(net, m) ==
    IF Network = "set" THEN net
    ELSE IF net[m] = 1 THEN [x \in DOMAIN net \ {m} |-> net[x]]
    ELSE [net EXCEPT ![m] = @ - 1]

\* BAG: no message may have more than MaxCopies copies in flight.
NetOk(net) ==
    IF Network = "set" THEN TRUE ELSE \A m \in DOMAIN net : net[m] <= MaxCopies

-----------------------------------------------------------------------------
(* One server as a record, and its event handlers (raftmodel/node.py).     *)
(* Each handler returns [node |-> new record, out |-> messages sent].      *)

Ones == [j \in Server |-> 1]
Zeros == [j \in Server |-> 0]

Node(i) ==
    [id |-> i, currentTerm |-> currentTerm[i], votedFor |-> votedFor[i],
     log |-> log[i], role |-> role[i], commitIndex |-> commitIndex[i],
     votesGranted |-> votesGranted[i], nextIndex |-> nextIndex[i],
     matchIndex |-> matchIndex[i]]

Out(s, msgs) == [node |-> s, out |-> msgs]

\* Section 5.1: a new term clears the vote; the same term keeps it.
BecomeFollower(s, t) ==
    [s EXCEPT !.currentTerm = t,
              !.votedFor = IF t = s.currentTerm THEN s.votedFor ELSE Nil,
              !.role = Follower, !.votesGranted = {},
              !.nextIndex = Ones, !.matchIndex = Zeros]

\* Figure 2: nextIndex just past the leader's last entry, matchIndex 0.
BecomeLeader(s) ==
    [s EXCEPT !.role = Leader,
              !.nextIndex = [j \in Server |-> Len(s.log) + 1],
              !.matchIndex = Zeros]

\* Figure 2, Rules for Leaders: the highest N > commitIndex stored on a quorum
\* (the leader counts itself at its last index) whose entry CommitOk allows.
AdvanceCommit(s) ==
    LET acked(k) == {j \in Server :
                        IF j = s.id THEN Len(s.log) >= k ELSE s.matchIndex[j] >= k}
        C == {k \in s.commitIndex + 1 .. Len(s.log) :
                 Cardinality(acked(k)) >= Quorum /\ CommitOk(s.log[k].term, s.currentTerm)}
    IN  IF C = {} THEN s ELSE [s EXCEPT !.commitIndex = MaxOf(C)]

\* Section 5.2: the election timer fires: new term, vote for self, ask the others.
OnTimeout(s) ==
    LET c == [s EXCEPT !.currentTerm = @ + 1, !.votedFor = s.id, !.role = Candidate,
                       !.votesGranted = CampaignVotes(s.votesGranted, s.id),
                       !.nextIndex = Ones, !.matchIndex = Zeros]
    IN  IF Cardinality(c.votesGranted) >= Quorum THEN Out(BecomeLeader(c), {})
        ELSE Out(c, {RV(s.id, j, c.currentTerm, Len(s.log), LastTerm(s.log)) :
                        j \in Server \ {s.id}})

\* Section 5.3: send the entries from nextIndex on (none: a heartbeat): all of
\* them (b = 0) or the first b (Figure 2: "may send more than one for efficiency").
OnSendAppend(s, j, b) ==
    LET prev == s.nextIndex[j] - 1
        last == IF b = 0 THEN Len(s.log) ELSE Min(prev + b, Len(s.log))
    IN  Out(s, {AE(s.id, j, s.currentTerm, prev, TermAt(s.log, prev),
                   SubSeq(s.log, prev + 1, last), s.commitIndex)})

\* The batch sizes leader s may send j: 0 (the whole suffix) when MaxBatch = 0,
\* else 1..Min(MaxBatch, suffix length), or 0 (a heartbeat) when the suffix is empty.
Batches(s, j) ==
    LET k == Min(MaxBatch, Max(0, Len(s.log) - s.nextIndex[j] + 1))
    IN  IF MaxBatch = 0 \/ k = 0 THEN {0} ELSE 1..k

\* Section 5.3: the leader appends the client's value as a new entry.
OnPropose(s, v) ==
    LET at == AppendAt(Len(s.log), s.commitIndex)
        \* Only append_over_uncommitted overwrites; nextIndex - 1 must stay in the log.
        next == [j \in Server |-> IF s.nextIndex[j] > at + 2 THEN at + 2 ELSE s.nextIndex[j]]
    IN  Out(AdvanceCommit([s EXCEPT !.log = Append(SubSeq(@, 1, at),
                                                   [term |-> s.currentTerm, value |-> v]),
                                    !.nextIndex = next]),
            {})

\* Figure 2, RequestVote receiver.
HandleRequestVote(s, m) ==
    LET grant == CanVote(s.votedFor, m.source)
                 /\ LogOk(m.lastLogTerm, m.lastLogIndex, s.log)
    IN  Out(IF grant THEN [s EXCEPT !.votedFor = m.source] ELSE s,
            {RVR(s.id, m.source, s.currentTerm, grant)})

\* Section 5.2: a candidate with votes from a quorum becomes leader.
HandleRequestVoteResponse(s, m) ==
    IF s.role # Candidate \/ ~m.voteGranted THEN Out(s, {})
    ELSE LET c == [s EXCEPT !.votesGranted = @ \cup {m.source}]
         IN  Out(IF Cardinality(c.votesGranted) >= Quorum THEN BecomeLeader(c) ELSE c, {})

\* Figure 2, AppendEntries receiver. A candidate of the same term steps down
\* (and keeps its vote); a leader of the same term refuses (only in variants);
\* a lower term gets here only under stale_append_accepted, and is adopted.
HandleAppendEntries(s, m) ==
    IF m.term >= s.currentTerm /\ s.role = Leader
    THEN Out(s, {AER(s.id, m.source, s.currentTerm, FALSE, 0, 0)})
    ELSE
      LET f == IF m.term < s.currentTerm \/ s.role = Candidate
               THEN BecomeFollower(s, m.term) ELSE s
      IN
      IF ~Consistent(f.log, m.prevLogIndex, m.prevLogTerm)
      THEN Out([f EXCEPT !.commitIndex =
                   FollowerCommit(@, m.leaderCommit, m.prevLogIndex + Len(m.entries), FALSE)],
               {AER(f.id, m.source, f.currentTerm, FALSE, 0,
                    IF RefusalHint = 1 THEN Len(f.log) ELSE 0)})
      ELSE
        LET lg == MergeLog(f.log, m.prevLogIndex, m.entries)
            lastNew == Min(m.prevLogIndex + Len(m.entries), Len(lg))
            ci == FollowerCommit(f.commitIndex, m.leaderCommit, lastNew, TRUE)
        IN  Out([f EXCEPT !.log = lg, !.commitIndex = ci],
                {AER(f.id, m.source, f.currentTerm, TRUE, lastNew, 0)})

\* Figure 2, Rules for Leaders: track the follower's progress and commit, or
\* step nextIndex back after a failed consistency check.
HandleAppendEntriesResponse(s, m) ==
    LET j == m.source
    IN  IF s.role # Leader THEN Out(s, {})
        ELSE IF m.success
        THEN Out(AdvanceCommit([s EXCEPT
                    !.matchIndex[j] = MatchUpdate(@, m.matchIndex, Len(s.log)),
                    !.nextIndex[j] = Max(@, m.matchIndex + 1)]), {})
        ELSE Out([s EXCEPT !.nextIndex[j] =
                     NextOnRefusal(@, s.matchIndex[j], m.lastLogIndex)], {})

\* Section 5.1: a stale request is refused with our term; a stale response ignored.
Fence(s, m) ==
    CASE m.mtype = RequestVote -> Out(s, {RVR(s.id, m.source, s.currentTerm, FALSE)})
      [] m.mtype = AppendEntries -> Out(s, {AER(s.id, m.source, s.currentTerm, FALSE, 0, 0)})
      [] OTHER -> Out(s, {})

Handle(s, m) ==
    CASE m.mtype = RequestVote -> HandleRequestVote(s, m)
      [] m.mtype = RequestVoteResponse -> HandleRequestVoteResponse(s, m)
      [] m.mtype = AppendEntries -> HandleAppendEntries(s, m)
      [] m.mtype = AppendEntriesResponse -> HandleAppendEntriesResponse(s, m)

\* Figure 2, All Servers: adopt a higher term first; fence a lower one.
OnMessage(s, m) ==
    IF m.term > s.currentTerm
    THEN IF AdoptsHigher(m) THEN Handle(BecomeFollower(s, m.term), m)
         ELSE Out(BecomeFollower(s, s.currentTerm), {})
    ELSE IF m.term < s.currentTerm /\ ~AcceptsStale(m) THEN Fence(s, m)
    ELSE Handle(s, m)

-----------------------------------------------------------------------------
(* The cluster (raftmodel/cluster.py) *)

\* Server i's step: Node(i) becomes r.node and r.out is sent over net.
\* Disabled (bag) when a message would exceed MaxCopies. Records the history:
\* a new leader (or a leader of a new term) is an election; each index that
\* passes commitIndex is a commit, recorded once per entry with the term of the
\* server that first committed it.
Update(i, r, net) ==
    LET b == Node(i)
        a == r.node
        net2 == Send(net, r.out)
        new == {k \in b.commitIndex + 1 .. Min(a.commitIndex, Len(a.log)) :
                  ~\E c \in committed : /\ c.index = k
                                        /\ c.term = a.log[k].term
                                        /\ c.value = a.log[k].value}
    IN  /\ NetOk(net2)
        /\ currentTerm' = [currentTerm EXCEPT ![i] = a.currentTerm]
        /\ votedFor' = [votedFor EXCEPT ![i] = a.votedFor]
        /\ log' = [log EXCEPT ![i] = a.log]
        /\ role' = [role EXCEPT ![i] = a.role]
        /\ commitIndex' = [commitIndex EXCEPT ![i] = a.commitIndex]
        /\ votesGranted' = [votesGranted EXCEPT ![i] = a.votesGranted]
        /\ nextIndex' = [nextIndex EXCEPT ![i] = a.nextIndex]
        /\ matchIndex' = [matchIndex EXCEPT ![i] = a.matchIndex]
        /\ messages' = net2
        /\ elections' =
              IF a.role = Leader /\ (b.role # Leader \/ b.currentTerm # a.currentTerm)
              THEN elections \cup {[term |-> a.currentTerm, leader |-> i]}
              ELSE elections
        /\ committed' =
              committed \cup {[index |-> k, term |-> a.log[k].term,
                               value |-> a.log[k].value,
                               commitTerm |-> a.currentTerm] : k \in new}

Init ==
    /\ currentTerm = [i \in Server |-> 0]
    /\ votedFor = [i \in Server |-> Nil]
    /\ log = [i \in Server |-> << >>]
    /\ role = [i \in Server |-> Follower]
    /\ commitIndex = [i \in Server |-> 0]
    /\ votesGranted = [i \in Server |-> {}]
    /\ nextIndex = [i \in Server |-> Ones]
    /\ matchIndex = [i \in Server |-> Zeros]
    /\ messages = IF Network = "set" THEN {} ELSE [m \in {} |-> 0]
    /\ elections = {}
    /\ committed = {}
    /\ restarts = 0
    /\ requests = 0

\* Server i's election timer fires (Section 5.2).
Timeout(i) ==
    /\ role[i] # Leader
    /\ currentTerm[i] < MaxTerm
    /\ Update(i, OnTimeout(Node(i)), messages)
    /\ UNCHANGED <<restarts, requests>>

\* Leader i sends AppendEntries (entries or a heartbeat) to j (Section 5.3),
\* with b of its entries from nextIndex on (0: all of them).
SendAppendEntries(i, j, b) ==
    /\ i # j
    /\ role[i] = Leader
    /\ b \in Batches(Node(i), j)
    /\ Update(i, OnSendAppend(Node(i), j, b), messages)
    /\ UNCHANGED <<restarts, requests>>

\* Message m is delivered to its destination.
ReceiveMessage(m) ==
    /\ m \in InFlight
    /\ m.dest \in Server
    /\ Update(m.dest, OnMessage(Node(m.dest), m), Consume(messages, m))
    /\ UNCHANGED <<restarts, requests>>

\* A client submits value v to leader i (Section 5.3).
ClientRequest(i, v) ==
    /\ role[i] = Leader
    /\ requests < MaxClientRequests
    /\ Len(log[i]) < MaxLogLen
    /\ Update(i, OnPropose(Node(i), v), messages)
    /\ requests' = requests + 1
    /\ UNCHANGED restarts

\* Server i crashes and recovers with its persistent state only (Figure 2).
Restart(i) ==
    /\ restarts < MaxRestarts
    /\ currentTerm' = [currentTerm EXCEPT ![i] = PersistTerm(@)]
    /\ votedFor' = [votedFor EXCEPT ![i] = PersistVote(@)]
    /\ role' = [role EXCEPT ![i] = Follower]
    /\ commitIndex' = [commitIndex EXCEPT ![i] = 0]
    /\ votesGranted' = [votesGranted EXCEPT ![i] = {}]
    /\ nextIndex' = [nextIndex EXCEPT ![i] = Ones]
    /\ matchIndex' = [matchIndex EXCEPT ![i] = Zeros]
    /\ restarts' = restarts + 1
    /\ UNCHANGED <<log, messages, elections, committed, requests>>

\* Bag network only: one copy of m is lost.
DropMessage(m) ==
    /\ Network = "bag"
    /\ m \in DOMAIN messages
    /\ messages' = Consume(messages, m)
    /\ UNCHANGED <<serverVars, elections, committed, restarts, requests>>

\* Bag network only: the network makes one more copy of m.
DuplicateMessage(m) ==
    /\ Network = "bag"
    /\ m \in DOMAIN messages
    /\ messages[m] < MaxCopies
    /\ messages' = Send(messages, {m})
    /\ UNCHANGED <<serverVars, elections, committed, restarts, requests>>

\* The actions on messages, named as in raftmodel and ITF traces. (TLC names a
\* step by the top-level disjunct of Next it took only when the disjunct is a
\* named operator or quantifies over a constant set; InFlight is a variable.)
Receive == \E m \in InFlight : ReceiveMessage(m)
Drop == \E m \in InFlight : DropMessage(m)
Duplicate == \E m \in InFlight : DuplicateMessage(m)

\* Every action is a top-level disjunct, so TLC names each step of a trace.
Next ==
    \/ \E i \in Server : Timeout(i)
    \/ \E i, j \in Server, b \in 0..MaxBatch : SendAppendEntries(i, j, b)
    \/ Receive
    \/ \E i \in Server, v \in Values : ClientRequest(i, v)
    \/ \E i \in Server : Restart(i)
    \/ Drop
    \/ Duplicate

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Invariants, named as in the paper (Figure 3); checker/invariants.py      *)

\* Section 5.2: at most one leader is elected in a term (over the history).
ElectionSafety ==
    \A e, f \in elections : e.term = f.term => e.leader = f.leader

\* Section 5.3: two logs with an entry of the same index and term are
\* identical up to it.
LogMatching ==
    \A i, j \in Server :
        \A k \in 1 .. Min(Len(log[i]), Len(log[j])) :
            log[i][k].term = log[j][k].term => SubSeq(log[i], 1, k) = SubSeq(log[j], 1, k)

\* Section 5.4: an entry committed in term T is in the log of every leader of a
\* term later than T.
LeaderCompleteness ==
    \A i \in Server : role[i] = Leader =>
        \A c \in committed : currentTerm[i] > c.commitTerm =>
            /\ c.index <= Len(log[i])
            /\ log[i][c.index].term = c.term
            /\ log[i][c.index].value = c.value

\* Section 5.4.3: no two servers apply different entries at one index.
StateMachineSafety ==
    /\ \A c, d \in committed : c.index = d.index => c.term = d.term /\ c.value = d.value
    /\ \A i, j \in Server :
          LET k == Min(commitIndex[i], commitIndex[j])
          IN  Prefix(log[i], k) = Prefix(log[j], k)

\* Figure 2, AppendEntries receiver step 5: commitIndex is within the log.
CommitWithinLog == \A i \in Server : commitIndex[i] <= Len(log[i])

\* Section 5.4.3: every entry ever committed is held by a majority of logs
\* (the real majority, whatever Quorum a variant uses).
CommittedOnQuorum ==
    \A c \in committed :
        Cardinality({i \in Server : /\ c.index <= Len(log[i])
                                    /\ log[i][c.index].term = c.term
                                    /\ log[i][c.index].value = c.value})
            >= Cardinality(Server) \div 2 + 1

\* Figure 2, Rules for Leaders: nextIndex stays above matchIndex.
NextIndexAboveMatch ==
    \A i \in Server : role[i] = Leader =>
        \A j \in Server \ {i} : nextIndex[i][j] > matchIndex[i][j]

\* Section 5.3: a follower in its leader's term holds the leader's log up to
\* the leader's matchIndex for it.
MatchIndexAgrees ==
    \A i \in Server : role[i] = Leader =>
        \A j \in Server \ {i} : currentTerm[j] = currentTerm[i] =>
            /\ matchIndex[i][j] <= Len(log[j])
            /\ Prefix(log[j], matchIndex[i][j]) = Prefix(log[i], matchIndex[i][j])

-----------------------------------------------------------------------------
(* Transition properties, as action properties ([][A]_vars)                 *)

\* Section 5.1: a server's currentTerm never decreases, across restarts too.
TermsMonotonic ==
    [][\A i \in Server : currentTerm'[i] >= currentTerm[i]]_vars

\* Both properties below judge the delivery of a message m: they hold for every
\* m for which the step is a ReceiveMessage(m) step. The cheap conditions on the
\* two states come first, so ReceiveMessage(m) is evaluated only for the rare
\* suspect step (TLC evaluates them for every transition).

\* Section 5.4.1: a vote goes only to a candidate whose log is at least as
\* up-to-date as the voter's.
VoteUpToDate ==
    [][\A m \in InFlight :
          (/\ m.mtype = RequestVote
           /\ votedFor'[m.dest] = m.source
           /\ currentTerm'[m.dest] = m.term
           /\ (votedFor[m.dest] # m.source \/ currentTerm[m.dest] # m.term)
           /\ ~UpToDate(m.lastLogTerm, m.lastLogIndex, log[m.dest]))
          => ~ReceiveMessage(m)]_vars

\* Section 5.1: a message from a lower term never changes its receiver.
StaleTermFenced ==
    [][\A m \in InFlight :
          (/\ m.term < currentTerm[m.dest]
           /\ \/ currentTerm'[m.dest] # currentTerm[m.dest]
              \/ votedFor'[m.dest] # votedFor[m.dest]
              \/ log'[m.dest] # log[m.dest]
              \/ role'[m.dest] # role[m.dest]
              \/ commitIndex'[m.dest] # commitIndex[m.dest]
              \/ votesGranted'[m.dest] # votesGranted[m.dest]
              \/ nextIndex'[m.dest] # nextIndex[m.dest]
              \/ matchIndex'[m.dest] # matchIndex[m.dest])
          => ~ReceiveMessage(m)]_vars

\* Section 5.3: a leader never overwrites or deletes entries of its log.
LeaderAppendOnly ==
    [][\A i \in Server :
          (role[i] = Leader /\ role'[i] = Leader /\ currentTerm'[i] = currentTerm[i])
          => Prefix(log'[i], Len(log[i])) = log[i]]_vars

\* Figure 2: commitIndex never decreases, except at a restart (it is volatile).
CommitIndexMonotonic ==
    [][\A i \in Server : commitIndex'[i] < commitIndex[i] => Restart(i)]_vars

\* Figure 2, Rules for Leaders: a leader's matchIndex never decreases in its term.
MatchIndexMonotonic ==
    [][\A i \in Server :
          (role[i] = Leader /\ role'[i] = Leader /\ currentTerm'[i] = currentTerm[i])
          => \A j \in Server : matchIndex'[i][j] >= matchIndex[i][j]]_vars

\* Section 5.1: a server receiving a message of a higher term ends in that term.
HigherTermAdopted ==
    [][\A m \in InFlight :
          (m.term > currentTerm[m.dest] /\ currentTerm'[m.dest] # m.term)
          => ~ReceiveMessage(m)]_vars

\* Section 5.2: a vote enters votesGranted only as the candidate's own at its
\* Timeout, or by receiving, in that step, a grant of the current term from the
\* voter (at the moment it is counted: sound under SET and BAG alike).
VotesFromCurrentTerm ==
    [][\A i \in Server :
          \A v \in votesGranted'[i] \
                 (IF currentTerm'[i] = currentTerm[i] THEN votesGranted[i] ELSE {}) :
              \/ v = i /\ Timeout(i)
              \/ ReceiveMessage(RVR(v, i, currentTerm'[i], TRUE))]_vars

=============================================================================
