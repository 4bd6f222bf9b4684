import torch

from ganbias_helpers import ATTRIBUTE_NAMES, Classifier, Generator, attribute_index, get_noise


def test_shapes():
    gen, clf = Generator(64), Classifier(n_classes=40)
    images = gen(get_noise(3, 64, seed=0))
    assert images.shape == (3, 3, 64, 64)
    assert images.min() >= -1 and images.max() <= 1
    assert clf(images).shape == (3, 40)
    assert clf.features(images).shape == (3, 256)


def test_state_dict_keys_match_the_original_course():
    # Keys of a state dict saved by the original course's classes.
    gen_keys = set(Generator(64).state_dict())
    assert {"gen.0.0.weight", "gen.0.1.running_mean", "gen.4.0.weight", "gen.4.0.bias"} <= gen_keys
    assert not any(k.startswith("gen.4.1") for k in gen_keys)
    clf_keys = set(Classifier(n_classes=40).state_dict())
    assert {"classifier.0.0.weight", "classifier.2.1.running_var", "classifier.3.0.bias"} <= clf_keys
    assert Classifier(n_classes=40).state_dict()["classifier.3.0.weight"].shape == (40, 256, 4, 4)


def test_course_format_round_trip(tmp_path):
    gen = Generator(64)
    torch.save({"gen": gen.state_dict()}, tmp_path / "g.pth")
    other = Generator(64)
    other.load_state_dict(torch.load(tmp_path / "g.pth")["gen"])
    z = get_noise(2, 64, seed=1)
    assert torch.equal(gen.eval()(z), other.eval()(z))


def test_attribute_names_are_the_official_forty():
    assert len(ATTRIBUTE_NAMES) == 40
    assert ATTRIBUTE_NAMES[7] == "Big_Nose" and ATTRIBUTE_NAMES[20] == "Male"
    assert ATTRIBUTE_NAMES[36] == "Wearing_Lipstick" and ATTRIBUTE_NAMES[34] == "Wearing_Earrings"
    assert attribute_index("male") == attribute_index("Male") == 20
    assert attribute_index("WearingLipstick") == 36
    assert attribute_index("Sideburn") == attribute_index("Sideburns") == 30  # the original course's spelling
    assert attribute_index(7) == 7


def test_unknown_attribute_is_named():
    import pytest

    with pytest.raises(KeyError, match="Moustache"):
        attribute_index("Moustache")


def test_noise_is_reproducible_with_a_seed():
    assert torch.equal(get_noise(4, 64, seed=3), get_noise(4, 64, seed=3))
    assert not torch.equal(get_noise(4, 64, seed=3), get_noise(4, 64, seed=4))
    rng = torch.Generator().manual_seed(3)
    assert torch.equal(get_noise(4, 64, generator=rng), get_noise(4, 64, seed=3))
