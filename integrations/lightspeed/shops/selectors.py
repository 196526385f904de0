"""Price levels as the settings page offers them: by name, from the levels the shops job downloaded.

Before the first download the three levels every Lightspeed account has are offered, so a new
company can still choose Default, MSRP or Online.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.lightspeed.models import LightspeedPriceLevel

# Every Lightspeed account has these; custom levels are numbered after them.
BUILT_IN_PRICE_LEVELS = ((1, "Default"), (2, "MSRP"), (3, "Online"))
FIELD_LABEL = "Lightspeed Price Level For Site Price"


@dataclass(frozen=True)
class PriceLevelOption:
    level_id: int
    name: str
    archived: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.level_id}){' (archived)' if self.archived else ''}"


def price_levels_for(company_id: int) -> tuple[list[PriceLevelOption], bool]:
    """The company's price levels by id, and whether they were downloaded (else the built-ins)."""
    downloaded = [
        PriceLevelOption(level.price_level_id, level.name, level.archived)
        for level in LightspeedPriceLevel.objects.filter(company_id=company_id).order_by("price_level_id")
    ]
    if downloaded:
        return downloaded, True
    return [PriceLevelOption(level_id, name) for level_id, name in BUILT_IN_PRICE_LEVELS], False


def price_level_choices(company_id: int, current: int | None) -> list[tuple[int, str]]:
    """Levels in use, plus the current one whatever its state, so a save never drops it silently:
    the validation then says why it cannot stay."""
    levels, _ = price_levels_for(company_id)
    choices = [
        (level.level_id, level.label) for level in levels if not level.archived or level.level_id == current
    ]
    if current is not None and current not in {level.level_id for level in levels}:
        choices.append((current, f"{current} (not a Lightspeed price level)"))
    return choices


def price_level_label(company_id: int, level_id: int | None) -> str:
    """The level's name and id, "Online (3)", as the page and the change log show it."""
    if level_id is None:
        return ""
    levels, _ = price_levels_for(company_id)
    for level in levels:
        if level.level_id == level_id:
            return level.label
    return f"{level_id} (not a Lightspeed price level)"


def price_level_refusal(company_id: int, level_id: int | None) -> str | None:
    """Why this level cannot receive the site price, in words; None when it can."""
    levels, downloaded = price_levels_for(company_id)
    by_id = {level.level_id: level for level in levels}
    level = by_id.get(level_id) if level_id is not None else None
    in_use = ", ".join(level.label for level in levels if not level.archived)
    if level is None:
        if not downloaded:
            return (
                f"{FIELD_LABEL}: until the price levels are downloaded only {in_use} can be chosen. "
                "Re-Download Lightspeed POS Shops to offer your custom price levels."
            )
        return (
            f"{FIELD_LABEL}: Lightspeed has no price level {level_id}. Choose one of {in_use} "
            "(Re-Download Lightspeed POS Shops first if you have just created it)."
        )
    if level.archived:
        return (
            f"{FIELD_LABEL}: {level.name} ({level.level_id}) is archived in Lightspeed, so prices sent "
            f"to it are not used. Choose one of {in_use}."
        )
    return None
