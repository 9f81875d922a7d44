import pytest

from oura_addon.homeassistant import panel_path


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"result": "ok", "data": {"slug": "a1b2c3d4_oura"}}, "/hassio/ingress/a1b2c3d4_oura"),
        ({"data": None}, "/hassio/dashboard"),
        ({"data": {"slug": 7}}, "/hassio/dashboard"),
        (["not", "an", "object"], "/hassio/dashboard"),
        (None, "/hassio/dashboard"),
    ],
)
def test_the_notification_links_the_ingress_panel_whatever_the_supervisor_answers(answer, expected):
    assert panel_path(answer) == expected
