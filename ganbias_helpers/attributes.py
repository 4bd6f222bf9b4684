"""The 40 CelebA attributes, in the official order of ``list_attr_celeba.txt``."""

from __future__ import annotations

#: Official CelebA attribute names, in the column order of ``list_attr_celeba.txt``.
ATTRIBUTE_NAMES: tuple[str, ...] = (
    "5_o_Clock_Shadow",
    "Arched_Eyebrows",
    "Attractive",
    "Bags_Under_Eyes",
    "Bald",
    "Bangs",
    "Big_Lips",
    "Big_Nose",
    "Black_Hair",
    "Blond_Hair",
    "Blurry",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Chubby",
    "Double_Chin",
    "Eyeglasses",
    "Goatee",
    "Gray_Hair",
    "Heavy_Makeup",
    "High_Cheekbones",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "Narrow_Eyes",
    "No_Beard",
    "Oval_Face",
    "Pale_Skin",
    "Pointy_Nose",
    "Receding_Hairline",
    "Rosy_Cheeks",
    "Sideburns",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Earrings",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wearing_Necklace",
    "Wearing_Necktie",
    "Young",
)

#: The spellings the original course printed (``BigNose`` restored). The course itself uses only the
#: official names above; these are accepted by :func:`attribute_index` so that code written for the
#: original course still finds its columns.
_ORIGINAL_COURSE_SPELLINGS: tuple[str, ...] = (
    "5oClockShadow",
    "ArchedEyebrows",
    "Attractive",
    "BagsUnderEyes",
    "Bald",
    "Bangs",
    "BigLips",
    "BigNose",
    "BlackHair",
    "BlondHair",
    "Blurry",
    "BrownHair",
    "BushyEyebrows",
    "Chubby",
    "DoubleChin",
    "Eyeglasses",
    "Goatee",
    "GrayHair",
    "HeavyMakeup",
    "HighCheekbones",
    "Male",
    "MouthSlightlyOpen",
    "Mustache",
    "NarrowEyes",
    "NoBeard",
    "OvalFace",
    "PaleSkin",
    "PointyNose",
    "RecedingHairline",
    "RosyCheeks",
    "Sideburn",
    "Smiling",
    "StraightHair",
    "WavyHair",
    "WearingEarrings",
    "WearingHat",
    "WearingLipstick",
    "WearingNecklace",
    "WearingNecktie",
    "Young",
)

N_ATTRIBUTES = len(ATTRIBUTE_NAMES)
assert N_ATTRIBUTES == 40 and len(_ORIGINAL_COURSE_SPELLINGS) == 40


def _normalise(name: str) -> str:
    return name.replace("_", "").replace(" ", "").lower()


_LOOKUP = {}
for _i, (_official, _short) in enumerate(zip(ATTRIBUTE_NAMES, _ORIGINAL_COURSE_SPELLINGS)):
    _LOOKUP[_normalise(_official)] = _i
    _LOOKUP[_normalise(_short)] = _i


def attribute_index(name: str | int) -> int:
    """Return the column index of a CelebA attribute.

    Args:
        name: An official name (``"Wearing_Lipstick"``), the original course's spelling
            (``"WearingLipstick"``, ``"Sideburn"``), any spelling that differs only in case,
            spaces or underscores, or an index that is returned unchanged.

    Returns:
        The attribute's index, 0 to 39.

    Raises:
        KeyError: If the name is not one of the 40 attributes.
    """
    if isinstance(name, int):
        if not 0 <= name < N_ATTRIBUTES:
            raise KeyError(f"attribute index {name} is outside 0..{N_ATTRIBUTES - 1}")
        return name
    try:
        return _LOOKUP[_normalise(name)]
    except KeyError:
        raise KeyError(f"unknown CelebA attribute {name!r}; choose one of: {', '.join(ATTRIBUTE_NAMES)}") from None
