"""The Python examples in bindings/python/README.md run, from the repository root, and
print what their comments say."""

import os
import re
from pathlib import Path

import ordinance
from conftest import ROOT

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        for block in blocks:
            namespace = {}
            exec(compile(block, str(README), "exec"), namespace)
    finally:
        os.chdir(old)
    out = capsys.readouterr().out
    assert "no_matching_rule [{'kind': 'permission', 'name': 'org:tasks:manage'}]" in out
    assert namespace["engine"].permitted_actions(namespace["claims"], namespace["task"]) == ["view", "create"]
    assert namespace["authzen"].evaluate({
        "subject": {"type": "user", "id": namespace["rick"]},
        "action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"},
    }) == {"decision": True}
    assert isinstance(namespace["session"], ordinance.Session)
    assert namespace["sql"].startswith('"t"."owner_id" IS NOT NULL')
