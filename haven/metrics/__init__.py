"""The NGO's counts: how many young people Haven helped, and how, as Prometheus counters.

What is counted (`haven.metrics.counts`, Prometheus names in its table) are events, never people:
conversations started, plan steps reached (the step's number, the first time a conversation
reaches it), crisis replies (the direct crisis reply or the gentle safety check), handoff
requests, how long a young person waited until a counselor claimed the chat (a histogram in whole
minutes, with coarse buckets), claims, requests that expired unclaimed, the answers to "did this
help?" and the end-of-chat tags. No series carries an id, a hash, a text or a label whose value
comes from a user: every label value is one of a fixed list, and every series of every label is
there from the start (at zero), so a series appearing says nothing either. The `_created`
series prometheus-client adds (a timestamp per series) are left out, so nothing is finer than
the scrape's own time. `haven.metrics.endpoint` serves them at `GET /metrics`, closed like the
counselor console (its docstring, and README "For the NGO").

## Where a count is kept: in the process where it happens

Haven is several processes: one or more Rasa servers (production runs two, or more replicas) and
the action server. Counts happen where the event happens:

| count                    | where                                              | process       |
|--------------------------|----------------------------------------------------|---------------|
| conversations started    | the tracker store's `retrieve` finds nothing       | Rasa          |
| crisis replies           | the NLG renders `utter_crisis`/`utter_safety_check` | Rasa         |
|                          | and the web chat, while a counselor has the chat   | Rasa          |
| plan steps reached       | `actions/plan.py` (`ActionPlanMove`)               | action server |
| handoff requests         | `HandoffQueue.request`, from `actions/handoff.py`  | action server |
| claims, waits, end tags  | `HandoffQueue.claim`, the counselor console        | Rasa          |
| expiries                 | `HandoffQueue.purge_expired`                       | any           |
| "did this help?" answers | where the question is answered                     | any           |

The crisis replies are counted in the NLG because every response goes through it, in the Rasa
server, whether a rule chose it (`utter_crisis`) or an action on the action server asked for it
(`utter_safety_check`): one place sees both.

Each process keeps its own counts in memory and exposes them at its own `/metrics`, and the
NGO's Prometheus scrapes every process (each Rasa server and the action server) and adds them up
(`sum(increase(haven_handoff_requests_total[1d]))`). This is how Prometheus and
prometheus-client are built to work: counters live in the process, a restart sets them to zero
and Prometheus' `rate()` and `increase()` handle the reset, and a process that is down shows as
down (`up == 0`) instead of as a silent gap. Kubernetes and docker compose list the instances for
Prometheus (deploy/).

The other way, keeping the counts in the shared database or Redis and having any instance's
`/metrics` show the totals through a custom collector, was not taken:
- prometheus-client has no such store: it would be hand-written plumbing (a table of counters,
  upserts, a histogram's buckets, a collector that reads them at each scrape);
- every count would be one more write to PostgreSQL or Redis on the path of a young person's
  message (and another thing that can fail there), where an in-memory increment costs nothing;
- the counts would be kept at rest, beside the conversations, for as long as the database:
  minimal data says keep them only until Prometheus has them;
- every instance would show the same totals, so a Prometheus that scrapes every instance (as it
  normally does) would count each event once per instance.
Each Rasa server and the action server run a single Sanic worker (`workers=1`), so one process is
one set of counts and prometheus-client's multiprocess mode is not needed.
"""
