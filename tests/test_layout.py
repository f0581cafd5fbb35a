"""kcolor/ reads like the pipeline: subpackages by stage, imports running one way only.

color <- data <- models <- training / evaluation <- inference <- web / cli, and the shared
top-level modules (file and image I/O, names, quiet imports, shipped paths) below them all.
"""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Rank of each stage: a module may import its own stage, the shared modules and lower ranks.
STAGES = {
    "color": 1,
    "data": 2,
    "models": 3,
    "training": 4,
    "evaluation": 4,
    "inference": 5,
    "web": 6,
    "cli": 7,
}
SHARED = 0
MAX_TOP_LEVEL_MODULES = 8


def _stage_of_file(path):
    """`(stage name, rank)` of a source file: its subpackage, or the shared top level."""
    relative = path.relative_to(REPO)
    if relative.parts[0] == "cli":
        return "cli", STAGES["cli"]
    if len(relative.parts) == 2:
        return "shared", SHARED
    return relative.parts[1], STAGES[relative.parts[1]]


def _stage_of_module(dotted):
    """`(stage name, rank)` of an imported kcolor module, or None for the package itself."""
    parts = dotted.split(".")
    if len(parts) == 1:
        return None
    if parts[1] in STAGES:
        return parts[1], STAGES[parts[1]]
    return "shared", SHARED


def _kcolor_imports(path):
    """Every kcolor module `path` imports, at module level or inside functions."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "kcolor":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "kcolor":
                continue
            if node.module == "kcolor":  # `from kcolor import lab_math`-style: each name
                for alias in node.names:
                    yield node.lineno, f"kcolor.{alias.name}"
            else:
                yield node.lineno, node.module


def _sources():
    files = sorted((REPO / "kcolor").rglob("*.py")) + sorted((REPO / "cli").glob("*.py"))
    # The package's __init__ is the public facade (`from kcolor import Colorizer`): it may
    # point anywhere, lazily.
    return [path for path in files if path != REPO / "kcolor" / "__init__.py"]


def upward_imports():
    """`file:line imports module (stage -> stage)` for each import against the direction."""
    wrong = []
    for path in _sources():
        stage, rank = _stage_of_file(path)
        for line, module in _kcolor_imports(path):
            target = _stage_of_module(module)
            if target is None or target[0] in (stage, "shared"):
                continue
            if target[0] == "cli" and stage == "cli":
                continue
            if target[1] >= rank:
                wrong.append(
                    f"{path.relative_to(REPO)}:{line} imports {module} ({stage} -> {target[0]})"
                )
    return wrong


def test_imports_run_one_way_only():
    assert upward_imports() == []


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    """The rule is not vacuous: a color module importing training is reported."""
    fake_repo = tmp_path / "repo"
    (fake_repo / "kcolor" / "color").mkdir(parents=True)
    (fake_repo / "kcolor" / "training").mkdir()
    (fake_repo / "cli").mkdir()
    (fake_repo / "kcolor" / "color" / "bad.py").write_text(
        "def f():\n    from kcolor.training.run import train\n"
    )
    (fake_repo / "kcolor" / "training" / "ok.py").write_text("from kcolor.color import bad\n")
    (fake_repo / "kcolor" / "names.py").write_text("from kcolor.data import pipeline\n")
    monkeypatch.setitem(globals(), "REPO", fake_repo)
    assert upward_imports() == [
        "kcolor/color/bad.py:2 imports kcolor.training.run (color -> training)",
        "kcolor/names.py:1 imports kcolor.data (shared -> data)",
    ]


def test_top_level_holds_few_modules_and_every_subpackage_says_what_it_may_import():
    modules = sorted(path.name for path in (REPO / "kcolor").glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules
    for stage in STAGES:
        if stage == "cli":
            continue
        doc = ast.get_docstring(ast.parse((REPO / "kcolor" / stage / "__init__.py").read_text()))
        assert doc and "import" in doc, f"kcolor/{stage}/__init__.py: say what it may import"


def test_every_subpackage_is_installed():
    """pyproject lists packages by hand: a stage missing there is missing from a wheel."""
    listed = (REPO / "pyproject.toml").read_text()
    for init in (REPO / "kcolor").glob("*/__init__.py"):
        assert f'"kcolor.{init.parent.name}"' in listed, init.parent.name
