"""The run kind's own settings (``WorkKind.settings`` of ``kinds.runs.kind.RUN``): declared
here, beside the code they tune, and read by config's one reader of the environment
(``config.process.Variable``); the web puts them into its config by name
(``web.create_app``).
"""

from __future__ import annotations

from config.process import Variable, positive_int

RUN_MAX_PENDING_PER_CLIENT = Variable(
    "RUN_MAX_PENDING_PER_CLIENT",
    positive_int,
    1000,
    "runs one client may have waiting on the runs' queue; a run past it is a 429",
)

SETTINGS = (RUN_MAX_PENDING_PER_CLIENT,)
"""Every setting of the run kind."""
