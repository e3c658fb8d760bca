"""The README is the newcomer's map: it must name every setting and every record kind, and
its two set-up commands must be the Makefile's and the CI's."""

from pathlib import Path

from opslens.ingest.kinds import kind_names
from opslens.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"OPSLENS_{name.upper()}" in README, name


def test_every_record_kind_is_documented():
    for kind in kind_names():
        assert f"`{kind}`" in README, kind


def test_the_two_commands_are_the_makefiles_and_ci_calls_the_second():
    makefile = (ROOT / "Makefile").read_text()
    assert "make run " in README and "make test " in README
    assert "\nrun:" in makefile and "\ntest:" in makefile
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
    assert ci[-1].strip() == "make test"
