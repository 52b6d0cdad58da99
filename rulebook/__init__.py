"""The rulebook: every rule of a draft's review, Django-free (stdlib only: the Temporal
workflow sandbox imports it, passed through once per worker process). Each rule has one home;
import it from the module that owns it (this package re-exports nothing):

- states: the vocabulary (ReviewState, EventKind, VersionKind, DecisionKind, labels), the
  transitions (OUTCOME, STATE_AFTER, FINAL_STATES, ...) and who is mailed (Audience, NOTIFY).
  The only file that spells a state name.
- inputs: input limits, target lengths, text_problem, BRIEF_FIELDS, brief_problems.
- urgency: Priority, due dates (due_problem).
- policies: ReviewStep, ReviewPolicy, DEFAULT_POLICY, policy_problems, Approval, decides_at,
  step_progress, current_details, step and vote wording.
- passages: the one anchor of a passage (quote + prefix/suffix + offsets, as W3C Web
  Annotation's selectors), anchoring a selection or a quote, and finding it again on a new
  version (locate: exact, quote alone, fuzzy above FUZZY_THRESHOLD, else outdated); for a
  targeted revision, a passage widened to whole sentences within its paragraph
  (sentences_around) and rewrites spliced in with every other character kept (splice).
- comments: who may comment, a comment's limits, CommentState (open, resolved, outdated),
  the refusal sentences, and a thread's state once its passage was looked for again.
- revisions: the targeted revision: which commented passages a request for changes
  rewrites (plan, MAX_PASSAGES), the context each call sees, which LLM answers are refused
  (answer_problem) and the rewrites spliced back (apply).
- suggestions: changes accepted one by one: a version's changes as offers (a revision's
  passages, rewrites suggested for one comment), the text the editor's choices make (edit),
  the limits and sentences of an edit from suggestions and of "Suggest a rewrite".
- checks: checks before a human reads: Check, Finding (anchored like comments), kinds and
  severities, the site's defaults, what a blocking finding does (automatic rounds, the
  passages an automatic round rewrites) and the sentences.
- check_run: the deterministic checks (banned, required, length, personal_data,
  readability, brand_terms, links) as pure functions of a text.
- check_file: a channel's checks as a TOML file: parse (refused line by line), load, to_toml.
- judge: the LLM judge's answer schema and its answer as findings.
- budgets: what a draft may spend on the LLM and has spent (Budget, Spent), whether a
  revision fits, max_tokens, an author's daily spend.
- snapshot: the values a decision rule reads: Snapshot (a review as the rule knows it),
  Request (a decision asked for), Decided, Refusal.
- steps: the policy's step rules on a snapshot (eligibility_refusal, step_refusal,
  after_approval, step_approvals).
- decisions: refusal() and every decision's refusal sentence, input_refusal,
  revision_estimate, decided_message, write_failed.
- writing: stopping the LLM while it writes a version (stop_refusal, what a stop leads to,
  "stopped after N words").
- deadlines: deadlines, step_deadlines, capped, extended, duration_words, extension and
  reminder refusals.
- authors: the in-flight cap, retry and withdraw refusals.
- bulk: several drafts decided at once.
- claims: "I'm reviewing this".
- delivery: channels, DeliveryStatus, webhook retry rules and delivery sentences.
- insights: the period an insight is asked for (presets, from–to, at most two years), its
  refusals, which events count as a decision, ratios with no value when nothing was decided.

Lower modules never import higher ones (in the order above; tests/test_rulebook_imports.py
checks it). A new concern (comments, checks, budgets, ...) gets its own module here.
"""
