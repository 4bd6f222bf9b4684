import numpy as np
import pytest

from ganbias_helpers import data as D
from ganbias_helpers.data import CelebAFormatError, load_celeba


def test_reads_official_layout_with_missing_and_corrupt_images(tiny_celeba):
    train = load_celeba(tiny_celeba, "train", progress=False)
    # 14 train rows listed: 2 have no image, 1 is not a JPEG.
    assert (train.n_listed, train.n_missing, train.n_unreadable, len(train)) == (14, 2, 1, 11)
    assert "11 images used of 14 listed" in train.summary()
    assert train.images.shape == (11, 64, 64, 3) and train.images.dtype == np.uint8
    assert train.labels.shape == (11, 40) and set(np.unique(train.labels)) <= {0, 1}
    x, y = train.batch(slice(0, 4))
    assert x.shape == (4, 3, 64, 64) and -1 <= x.min() and x.max() <= 1
    assert y.shape == (4, 40)
    assert len(load_celeba(tiny_celeba, "val", progress=False)) == 4
    assert len(load_celeba(tiny_celeba, "test", progress=False)) == 4


def test_labels_follow_the_attribute_file(tiny_celeba):
    names, labels = D.read_attributes(tiny_celeba / D.ATTR_FILE)
    test = load_celeba(tiny_celeba, "test", progress=False)
    for name, row in zip(test.filenames, test.labels):
        assert np.array_equal(row, labels[names.index(name)])


def test_course_transform_resizes_then_crops():
    from PIL import Image

    image = Image.new("RGB", (178, 218), (10, 20, 30))
    out = D.course_transform(image)
    assert out.shape == (64, 64, 3) and tuple(out[32, 32]) == (10, 20, 30)


def test_second_load_uses_the_cache(tiny_celeba, monkeypatch):
    first = load_celeba(tiny_celeba, "train", progress=False)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded a JPEG again")

    monkeypatch.setattr(D.Image, "open", no_decoding)
    second = load_celeba(tiny_celeba, "train", progress=False)
    assert np.array_equal(first.images, second.images) and first.filenames == second.filenames
    assert second.n_unreadable == 1


def test_missing_folder_and_files(tmp_path, tiny_celeba):
    with pytest.raises(CelebAFormatError, match="CelebA folder not found"):
        load_celeba(tmp_path / "nowhere")
    (tiny_celeba / D.PARTITION_FILE).unlink()
    with pytest.raises(CelebAFormatError, match="partition file not found.*list_eval_partition.txt"):
        load_celeba(tiny_celeba)


def test_malformed_attribute_file_names_file_and_line(tiny_celeba):
    path = tiny_celeba / D.ATTR_FILE
    lines = path.read_text().splitlines()
    lines[5] = lines[5].rsplit(" ", 3)[0]  # drop three values
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CelebAFormatError, match=r"list_attr_celeba.txt, line 6: expected a file name and 40 values"):
        load_celeba(tiny_celeba)
    lines[1] = lines[1].replace("Big_Nose ", "")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CelebAFormatError, match="line 2: expected the 40 official attribute names"):
        load_celeba(tiny_celeba)


def test_bad_value_in_attribute_file(tiny_celeba):
    path = tiny_celeba / D.ATTR_FILE
    lines = path.read_text().splitlines()
    lines[3] = lines[3][:-2] + " 0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CelebAFormatError, match="line 4: values must be -1 or 1"):
        load_celeba(tiny_celeba)
