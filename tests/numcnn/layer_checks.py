"""Checks of the layer contract (numcnn/layers/base.py) that every layer with weights must pass."""
import numpy as np

from numcnn.layers import Layer


def assert_skipping_the_input_gradient_keeps_the_weight_gradients(layer: Layer, x: np.ndarray,
                                                                  grad_y: np.ndarray) -> None:
    """With ``need_input_grad`` False (the first layer of a net in training), backward returns None and fills
    exactly the weight gradients it fills with it True (the default)."""
    assert layer.need_input_grad, "a layer computes its input gradient unless told not to"
    layer.forward(x)
    layer.backward(grad_y)
    full = {key: value.copy() for key, value in layer.grads.items()}
    layer.need_input_grad = False
    layer.forward(x)
    assert layer.backward(grad_y) is None
    for key in full:
        np.testing.assert_array_equal(layer.grads[key], full[key])
