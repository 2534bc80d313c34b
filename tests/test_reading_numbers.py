"""Known-answer tests of Classifier.read on generated numbers (``realworld/numbers``; needs MNIST test)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def clf():
    from handdigits import Classifier

    return Classifier()


@pytest.fixture(scope="module")
def touching_numbers(real_data_dir):
    from handdigits.realworld.numbers import generate

    return generate(8, seed=5, data_dir=real_data_dir, touching=1.0)


@pytest.mark.parametrize("index, text", [(2, "85332"), (3, "30471"), (4, "1228"), (5, "56551"), (7, "8026")])
def test_touching_numbers_read_exactly(clf, touching_numbers, index, text):
    """Numbers whose neighbours touch (one blob holds two digits) are cut and read exactly.

    Item 5 ("56551" on notebook paper, a touching pair) was read "5651" before
    the cut candidates were widened (components from 0.6 line heights, cuts
    0.15 line heights apart).
    """
    sample = touching_numbers[index]
    assert sample.touching and sample.text == text
    reading = clf.read(sample.image)
    assert reading.text == text
    boxes = [d.box for d in reading.digits]
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)  # reading order
    for found, truth in zip(boxes, sample.boxes):  # each box covers its digit's centre
        cx, cy = (truth[0] + truth[2]) / 2, (truth[1] + truth[3]) / 2
        assert found[0] <= cx <= found[2] and found[1] <= cy <= found[3], (found, truth)


def test_read_batch_of_generated_numbers_matches_read(clf, touching_numbers):
    images = [touching_numbers[i].image for i in (2, 5)]
    assert [r.text for r in clf.read_batch(images)] == [clf.read(i).text for i in images] == ["85332", "56551"]
