"""Sequential: forward shapes, backward and the first layer's skipped input gradient, prediction helpers, and
input checks."""
import numpy as np
import pytest

import numcnn
from numcnn.layers import Conv2D, Dense, Dropout, Flatten, Normalize, ReLU


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


def images(n, seed=0):
    return np.random.default_rng(seed).random((n, 1, 28, 28), dtype=np.float32)


@pytest.mark.parametrize("name", ["seed", "keras-example", "default", "small"])
def test_zoo_models_forward_and_backward(name):
    model = numcnn.zoo.build(name, seed=0)
    assert model.input_shape == (1, 28, 28) and model.output_shape == (10,)
    assert model.meta == {"architecture": name}
    logits = model.forward(images(2), training=True)
    assert logits.shape == (2, 10) and logits.dtype == np.float32
    grad_x = model.backward(np.ones_like(logits) / 20)
    assert grad_x.shape == (2, 1, 28, 28) and grad_x.dtype == np.float32
    for _, layer, key in model.parameters():
        assert layer.grads[key].shape == layer.params[key].shape


def test_zoo_is_reproducible_and_rejects_unknown_names():
    a, b, c = numcnn.zoo.build("keras-example", seed=1), numcnn.zoo.build("keras-example", seed=1), \
        numcnn.zoo.build("keras-example", seed=2)
    np.testing.assert_array_equal(a.layers[1].params["weight"], b.layers[1].params["weight"])
    assert not np.array_equal(a.layers[1].params["weight"], c.layers[1].params["weight"])
    with pytest.raises(ValueError, match="unknown architecture 'lenet'; "
                                         "choose one of default, keras-example, seed, small"):
        numcnn.zoo.build("lenet")


def test_backward_without_input_gradient_gives_the_same_parameter_gradients():
    model = numcnn.zoo.build("keras-example", seed=0)
    x, grad = images(3), np.random.default_rng(1).standard_normal((3, 10)).astype(np.float32)
    model.forward(x)
    model.backward(grad)
    full = {name: layer.grads[key].copy() for name, layer, key in model.parameters()}
    model.forward(x)
    assert model.backward(grad, need_input_grad=False) is None
    for name, layer, key in model.parameters():
        np.testing.assert_allclose(layer.grads[key], full[name], rtol=1e-6, atol=1e-7, err_msg=name)


def record_backward_calls(layer):
    """Wrap ``layer.backward`` to record (need_input_grad, whether it returned grad_x) at every call."""
    calls, backward = [], layer.backward

    def recording_backward(grad_y):
        grad_x = backward(grad_y)
        calls.append((layer.need_input_grad, grad_x is not None))
        return grad_x

    layer.backward = recording_backward
    return calls


@pytest.mark.parametrize("make_layers, first_trainable", [
    (lambda rng: [Normalize(0.5, 0.25), Conv2D(1, 2, 3, rng=rng), ReLU(), Flatten(),
                  Dense(2 * 26 * 26, 10, rng=rng)], 1),
    (lambda rng: [Flatten(), Dropout(0.5), Dense(28 * 28, 8, rng=rng), ReLU(), Dense(8, 10, rng=rng)], 2),
], ids=["conv-first", "dense-first"])
def test_the_first_layer_with_weights_skips_its_input_gradient(make_layers, first_trainable):
    """The contract: Sequential.backward(..., need_input_grad=False) stops at the first layer with weights and
    sets its need_input_grad to False for the call; it skips grad_x, and its weight gradients are unchanged."""
    model = numcnn.Sequential(make_layers(np.random.default_rng(0)))
    calls = [record_backward_calls(layer) for layer in model.layers]
    x, grad = images(3), np.random.default_rng(1).standard_normal((3, 10)).astype(np.float32)

    model.forward(x)
    assert model.backward(grad).shape == x.shape
    full = {name: layer.grads[key].copy() for name, layer, key in model.parameters()}
    assert all(layer_calls == [(True, True)] for layer_calls in calls)

    model.forward(x)
    assert model.backward(grad, need_input_grad=False) is None
    for index, layer_calls in enumerate(calls):
        if index < first_trainable:  # nothing to learn below the first layer with weights: not even called
            assert layer_calls == [(True, True)]
        elif index == first_trainable:
            assert layer_calls[-1] == (False, False)
        else:
            assert layer_calls[-1] == (True, True)
    for name, layer, key in model.parameters():
        np.testing.assert_array_equal(layer.grads[key], full[name], err_msg=name)
    assert all(layer.need_input_grad for layer in model.layers)  # set for that call only


def test_backward_with_input_gradient_overrides_and_keeps_a_layers_own_setting():
    model = numcnn.zoo.build("keras-example", seed=0)
    model.layers[0].need_input_grad = False
    x = images(2)
    assert model.backward(np.ones_like(model.forward(x)) / 20).shape == x.shape
    assert model.layers[0].need_input_grad is False


def test_dropout_only_in_training_and_reproducible_from_the_seed():
    x = images(4)
    model = numcnn.zoo.build("keras-example", seed=0)
    np.testing.assert_array_equal(model.forward(x), model.forward(x))
    first = model.forward(x, training=True)
    assert not np.array_equal(first, model.forward(x, training=True))
    np.testing.assert_array_equal(numcnn.zoo.build("keras-example", seed=0).forward(x, training=True), first)


def test_predict_proba_is_independent_of_the_batch_size():
    model = numcnn.zoo.build("keras-example", seed=0)
    x = images(7)
    np.testing.assert_allclose(model.predict_proba(x, batch_size=3), model.predict_proba(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.predict_proba(x[2:3])[0], model.predict_proba(x)[2], rtol=1e-6, atol=1e-7)
    assert model.predict_proba(x[:0]).shape == (0, 10)
    assert model.predict(x.astype(np.float64)).dtype == np.int64


@pytest.mark.parametrize("bad, message", [
    (np.zeros((1, 28, 28), dtype=np.float32), "expected images of shape \\(N, 1, 28, 28\\), got \\(1, 28, 28\\)"),
    (np.zeros((1, 3, 28, 28), dtype=np.float32), "got \\(1, 3, 28, 28\\)"),
    (np.full((1, 1, 28, 28), -1.0, dtype=np.float32), "scaled to \\[0, 1\\], got values from -1"),
    (np.zeros((1, 1, 28, 28), dtype=np.int64), "expected float images"),
])
def test_predict_rejects_bad_images(bad, message):
    with pytest.raises(ValueError, match=message):
        numcnn.zoo.build("keras-example").predict(bad)


def test_construction_checks_the_architecture():
    with pytest.raises(TypeError, match="non-empty list of numcnn layers"):
        numcnn.Sequential([])
    with pytest.raises(TypeError, match="non-empty list of numcnn layers"):
        numcnn.Sequential([numcnn.ReLU(), "Dense"])
    with pytest.raises(ValueError, match="layer 2 Conv2D.*expects samples of shape \\(8, H, W\\).*got \\(4, 26, 26\\)"):
        numcnn.Sequential([numcnn.Conv2D(1, 4, 3), numcnn.ReLU(), numcnn.Conv2D(8, 8, 3)])
    with pytest.raises(ValueError, match="layer 1 Dense.*expects samples of 100 input features, got shape \\(784,\\)"):
        numcnn.Sequential([numcnn.Flatten(), numcnn.Dense(100, 10)])
    with pytest.raises(ValueError, match="layer 0 Conv2D.*expects samples of shape \\(1, H, W\\)"):
        numcnn.Sequential([numcnn.Conv2D(1, 4, 3)], input_shape=(784,))
    with pytest.raises(ValueError, match="layer 0 MaxPool2D.*empty shape"):
        numcnn.Sequential([numcnn.MaxPool2D(2)], input_shape=(1, 1, 5))


def test_parameters_summary_and_repr():
    model = numcnn.zoo.build("keras-example")
    names = [name for name, _, _ in model.parameters()]
    assert names == ["layers.1.weight", "layers.1.bias", "layers.4.weight", "layers.4.bias",
                     "layers.9.weight", "layers.9.bias"]
    assert model.num_params() == 32 * 9 + 32 + 64 * 32 * 9 + 64 + 1600 * 10 + 10
    summary = model.summary()
    assert "(64, 5, 5)" in summary and f"{model.num_params():,d}" in summary
    assert repr(model).startswith("Sequential([\n    Normalize(mean=0.1307, std=0.3081),")
