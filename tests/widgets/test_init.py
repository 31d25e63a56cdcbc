import subprocess
import sys

import pytest

from tests.widgets.browser import REPO


def test_importing_the_package_does_not_import_anywidget():
    code = ("import sys, amlmagic.widgets as w; assert 'anywidget' not in sys.modules;"
            "w.ComputePicker; assert 'anywidget' in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_unknown_names_raise_attribute_error():
    import amlmagic.widgets as w

    with pytest.raises(AttributeError, match="NoSuchWidget"):
        w.NoSuchWidget  # noqa: B018  (the attribute access is the test)
