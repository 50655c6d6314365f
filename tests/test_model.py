"""Sequential: forward shapes, prediction helpers, and input checks."""
import numpy as np
import pytest

import numcnn


def test_keras_example_shapes_and_probabilities():
    model = numcnn.zoo.build("keras-example", seed=0)
    images = np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)
    probs = model.predict_proba(images)
    assert probs.shape == (3, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(model.predict(images), probs.argmax(axis=1))


def test_predict_rejects_0_255_images():
    model = numcnn.zoo.build("keras-example")
    with pytest.raises(ValueError, match="255"):
        model.predict(np.full((1, 1, 28, 28), 200, dtype=np.uint8))
