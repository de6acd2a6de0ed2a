import pytest

from tandem.muses.colours import DARK_CARD, LIGHT_CARD, contrast_ratio, dialogue_colours


@pytest.mark.parametrize(
    "accent",
    ["#ffff00", "#7a3e9d", "#000000", "#ffffff", "#1d5c8c", "#b3261e", "#77dd77", "#222233"],
)
def test_dialogue_colours_meet_aa_on_both_themes(accent):
    """Whatever accent a writer picks, dialogue text reaches 4.5:1 on light and dark cards."""
    on_light, on_dark = dialogue_colours(accent)
    assert contrast_ratio(on_light, LIGHT_CARD) >= 4.5
    assert contrast_ratio(on_dark, DARK_CARD) >= 4.5


def test_a_readable_accent_is_kept_as_chosen():
    """A dark blue already reads well on white, so it is used unchanged in light mode."""
    assert dialogue_colours("#1d5c8c")[0] == "#1d5c8c"


def test_contrast_ratio_of_black_on_white_is_21():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
