"""The forms' default dates (``BT.dateWindow`` / ``BT.commonRange`` in
web/static/dashboard/common.js): the last ten years of the chosen tickers' data, all of it
when shorter, so a ticker whose data ends in 2013 no longer opens on 2015–2024 (a run that
could only be refused)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.stack import PROJECT_ROOT

NODE = """
const fs = require("fs"), vm = require("vm");
const document = { getElementById: () => null, querySelector: () => null, addEventListener() {} };
const context = { document };
vm.createContext(context);
vm.runInContext(fs.readFileSync(process.argv[1], "utf8") + ";globalThis.B = BT;", context);
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
console.log(JSON.stringify(cases.map(([kind, args]) => kind === "window"
  ? context.B.dateWindow(...args)
  : context.B.commonRange(args.map(([first, last]) => ({ dataset: { first, last } }))))));
"""

CASES = [
    (("window", ["2014-01-02", "2024-12-31"]), {"start": "2015-01-01", "end": "2024-12-31"}),
    (("window", ["2004-08-19", "2013-03-01"]), {"start": "2004-08-19", "end": "2013-03-01"}),
    (("window", ["1990-01-02", "2013-03-01"]), {"start": "2003-03-02", "end": "2013-03-01"}),
    (("window", ["2020-02-29", "2024-02-29"]), {"start": "2020-02-29", "end": "2024-02-29"}),
    (("window", ["", "2024-12-31"]), None),
    (("range", [["2014-01-02", "2024-12-31"], ["2004-08-19", "2013-03-01"]]), None),
    (
        ("range", [["2014-01-02", "2024-12-31"], ["2016-05-02", "2020-01-31"], ["", ""]]),
        {"first": "2016-05-02", "last": "2020-01-31"},
    ),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the dashboard script")
def test_the_default_window_is_the_last_ten_years_of_the_data_or_all_of_it():
    script = PROJECT_ROOT / "web" / "static" / "dashboard" / "common.js"
    answer = subprocess.run(
        ["node", "-e", NODE, str(script)],
        input=json.dumps([case for case, _ in CASES]),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(answer.stdout) == [expected for _, expected in CASES]
