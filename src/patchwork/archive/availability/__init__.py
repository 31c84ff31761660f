"""Lost media: whether each archived video is still on its site, and its metadata's history.

Workers re-check videos with ``check`` jobs (:mod:`patchwork.archive.queue.kinds.check`);
each answer is kept as an observation (:mod:`.observations`) and moves the video's state
only after enough consecutive definitive answers agree (:mod:`.rule`). Checks are scheduled
as workers claim, least recently checked first, within an hourly budget (:mod:`.scheduling`).
A check that finds changed metadata keeps the earlier version (:mod:`.history`).
:mod:`.lost` answers the read side: a video's availability, the lost videos, the counts.
docs/availability.md has the semantics; decision 0119 the two-answer rule and the budget.
"""
